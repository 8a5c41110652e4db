from collections import Counter
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models


class CollectionRulerApply(models.TransientModel):
    """Apply a collection ruler to a selection of invoices or customers.

    The form previews how many invoices change and what the next run would
    send before anything changes. Steps whose date has passed are marked as
    before the ruler applied, so that the first contact is each invoice's
    next step, unless the collector asks for the current step to be sent:
    the next run then chooses it through the usual catch-up rule.
    """

    _name = "collection.ruler.apply"
    _description = "Apply a Collection Ruler"

    ruler_id = fields.Many2one(
        comodel_name="collection.ruler",
        string="Collection Ruler",
        required=True,
        domain="['|', ('company_id', '=', False), "
        "('company_id', '=', current_company_id)]",
    )
    move_ids = fields.Many2many(comodel_name="account.move", string="Invoices")
    partner_ids = fields.Many2many(comodel_name="res.partner", string="Customers")
    send_now = fields.Boolean(
        string="Send the Current Step",
        help="By default, steps whose date has passed are not sent: the first "
        "contact is each invoice's next step. Tick to have the next run send "
        "the current step instead, as it does when it runs late.",
    )
    company_id = fields.Many2one(
        comodel_name="res.company",
        string="New Default of",
        help="Set to preview a new default ruler of this company (Settings): "
        "the invoices that follow the company's default, not those with a "
        "ruler of their own, of their customer or of an assignment rule.",
    )
    target_move_ids = fields.Many2many(
        comodel_name="account.move",
        compute="_compute_targets",
        string="Invoices to Change",
    )
    invoice_count = fields.Integer(compute="_compute_targets")
    left_count = fields.Integer(compute="_compute_targets")
    preview = fields.Html(compute="_compute_preview", sanitize=False)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        model = self.env.context.get("active_model")
        ids = self.env.context.get("active_ids") or []
        if model == "account.move":
            values["move_ids"] = [fields.Command.set(ids)]
        elif model == "res.partner":
            values["partner_ids"] = [fields.Command.set(ids)]
        return values

    # === Compute methods === #

    @api.depends("ruler_id", "move_ids", "partner_ids", "company_id")
    def _compute_targets(self):
        for wizard in self:
            candidates = wizard._get_candidates()
            targets = candidates.filtered(
                lambda m, r=wizard.ruler_id: m.collection_ruler_id != r
            )
            wizard.target_move_ids = targets
            wizard.invoice_count = len(targets)
            if wizard.company_id:
                # Their invoices with a ruler of their own keep it.
                wizard.left_count = self.env["account.move"].search_count(
                    wizard._get_candidate_domain()
                ) - len(candidates)
            elif wizard.partner_ids:
                # Their invoices with a ruler chosen for them keep it.
                wizard.left_count = self.env["account.move"].search_count(
                    [
                        *wizard._get_candidate_domain(),
                        ("collection_ruler_chosen", "=", True),
                        ("collection_ruler_id", "!=", wizard.ruler_id.id),
                    ]
                )
            else:
                wizard.left_count = len(wizard.move_ids - targets)

    @api.depends("target_move_ids", "send_now")
    def _compute_preview(self):
        for wizard in self:
            wizard.preview = wizard._get_preview()

    # === Business methods === #

    def _get_candidate_domain(self):
        """Customer invoices in draft, or posted and not paid; for customers,
        those of their invoices that belong to the current company; for a
        company's new default, that company's."""
        self.ensure_one()
        domain = [
            ("move_type", "=", "out_invoice"),
            ("collection_excluded", "=", False),
            "|",
            ("state", "=", "draft"),
            "&",
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
        ]
        if self.partner_ids:
            partners = self.partner_ids.commercial_partner_id
            domain += [
                ("commercial_partner_id", "in", partners.ids),
                ("company_id", "=", self.env.company.id),
            ]
        elif self.company_id:
            domain.append(("company_id", "=", self.company_id.id))
        return domain

    def _get_candidates(self):
        """The invoices this ruler may go to. For customers, those without a
        ruler chosen for them, which follow their customer's; for a company's
        new default, those that follow the company's."""
        self.ensure_one()
        if self.company_id:
            return self._get_company_followers(
                self.env["account.move"].search(
                    [
                        *self._get_candidate_domain(),
                        ("collection_ruler_chosen", "=", False),
                    ]
                )
            )
        if self.partner_ids:
            return self.env["account.move"].search(
                [
                    *self._get_candidate_domain(),
                    ("collection_ruler_chosen", "=", False),
                ]
            )
        return self.move_ids.filtered_domain(self._get_candidate_domain())

    def _get_company_followers(self, moves):
        """Those of ``moves`` whose ruler is their company's default: neither
        their customer nor an assignment rule gives them one
        (``account.move._collection_get_inherited_ruler``).

        :return: account.move recordset
        """
        Rule = self.env["collection.ruler.rule"]
        return moves.filtered(
            lambda m: not (
                m.partner_id.with_company(m.company_id).collection_ruler_id
                or m.commercial_partner_id.with_company(
                    m.company_id
                ).collection_ruler_id
                or Rule._get_ruler(m)
            )
        )

    def _get_due_steps(self):
        """What the next run would send and what it would not, had the ruler
        been applied: one unsaved event per step dated today or earlier.

        :return: (events the next run sends, number of steps not sent)
        """
        self.ensure_one()
        Event = self.env["collection.ruler.event"]
        steps = self.ruler_id.step_ids.filtered(
            lambda s: s.active and not s.on_broken_promise
        )
        due, not_sent = Event.browse(), 0
        for move in self.target_move_ids.filtered(lambda m: m.state == "posted"):
            due_date = move._collection_get_due_date()
            if not due_date:
                continue
            today = move.company_id._collection_get_today()
            partner = move.commercial_partner_id
            for step in steps - partner._collection_get_foreign_steps(
                steps, move.company_id
            ):
                date = due_date + timedelta(days=step.offset_days)
                if date > today:
                    continue
                if date < today and not self.send_now:
                    not_sent += 1
                    continue
                due |= Event.new(
                    {
                        "move_id": move.id,
                        "step_id": step.id,
                        "step_sequence": step.sequence,
                        "scheduled_date": date,
                        "company_id": move.company_id.id,
                        "channel": step.channel,
                    }
                )
        if self.send_now and due:
            due, skipped = self.env["collection.ruler.catchup"]._plan(due)
            not_sent += sum(len(events) for events in skipped)
        return due, not_sent

    def _get_preview(self):
        """The preview shown before applying, as HTML paragraphs."""
        self.ensure_one()
        _ = self.env._
        if not self.ruler_id and self.company_id and self.invoice_count:
            return Markup("<p>%s</p>") % (
                _("1 invoice will have no collection ruler: its schedule is cancelled.")
                if self.invoice_count == 1
                else _(
                    "%(count)s invoices will have no collection ruler: their "
                    "schedules are cancelled.",
                    count=self.invoice_count,
                )
            )
        if not self.ruler_id:
            return False
        ruler = Markup("<strong>%s</strong>") % self.ruler_id.display_name
        count = self.invoice_count
        paragraphs = [
            _("1 invoice will follow %(ruler)s.", ruler=ruler)
            if count == 1
            else _(
                "%(count)s invoices will follow %(ruler)s.", count=count, ruler=ruler
            )
        ]
        left = self.left_count
        if left and self.company_id:
            paragraphs.append(
                _(
                    "1 invoice keeps a ruler of its own: chosen for it, its "
                    "customer's or an assignment rule's."
                )
                if left == 1
                else _(
                    "%(count)s invoices keep a ruler of their own: chosen for "
                    "them, their customer's or an assignment rule's.",
                    count=left,
                )
            )
        elif left and self.partner_ids:
            paragraphs.append(
                _("1 invoice keeps the ruler chosen for it.")
                if left == 1
                else _("%(count)s invoices keep the ruler chosen for them.", count=left)
            )
        elif left:
            paragraphs.append(
                _(
                    "1 selected document stays as it is: it already follows this "
                    "ruler, is paid, or is not a customer invoice."
                )
                if left == 1
                else _(
                    "%(count)s selected documents stay as they are: they already "
                    "follow this ruler, are paid, or are not customer invoices.",
                    count=left,
                )
            )
        due, not_sent = self._get_due_steps()
        counts = Counter(event.step_id for event in due)
        labels = dict(
            self.env["collection.ruler.step"]
            ._fields["channel"]
            ._description_selection(self.env)
        )
        items = [
            _(
                "%(count)s × %(step)s (%(channel)s)",
                count=number,
                step=step.name,
                channel=labels[step.channel],
            )
            for step, number in sorted(counts.items(), key=lambda i: i[0].sequence)
        ]
        if not_sent:
            paragraphs.append(
                _("1 step whose date has passed will not be sent.")
                if not_sent == 1
                else _(
                    "%(count)s steps whose date has passed will not be sent.",
                    count=not_sent,
                )
            )
        if items:
            paragraphs.append(_("The next run sends:"))
        elif count:
            paragraphs.append(
                _(
                    "The next run sends nothing: the first contact is each "
                    "invoice's next step."
                )
            )
        html = Markup("").join(Markup("<p>%s</p>") % part for part in paragraphs)
        if items:
            html += Markup("<ul>%s</ul>") % Markup("").join(
                Markup("<li>%s</li>") % item for item in items
            )
        return html

    # === Actions === #

    def action_apply(self):
        """Apply the ruler, then show the invoices that changed."""
        self.ensure_one()
        targets = self.target_move_ids
        backfill = self.env["collection.ruler.backfill"]
        if self.partner_ids:
            self.partner_ids.commercial_partner_id.with_company(
                self.env.company
            ).collection_ruler_id = self.ruler_id
            backfill._apply(targets, send_now=self.send_now)
        else:
            targets.with_context(
                collection_send_current_step=self.send_now
            ).collection_ruler_id = self.ruler_id
        if self.send_now:
            self.env.ref("collection_ruler.ir_cron_collection_ruler_run")._trigger()
        ruler = self.ruler_id.display_name
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": (
                    self.env._("1 invoice now follows %(ruler)s.", ruler=ruler)
                    if len(targets) == 1
                    else self.env._(
                        "%(count)s invoices now follow %(ruler)s.",
                        count=len(targets),
                        ruler=ruler,
                    )
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
