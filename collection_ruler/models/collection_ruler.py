from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .collection_ruler_run import OUTCOMES

# Brazil's consumer code (art. 52, paragraph 1) caps the late fine charged to
# an individual at 2% of the amount due.
INDIVIDUAL_FINE_CAP = 2.0


class CollectionRuler(models.Model):
    """A collection ruler: a schedule of contacts relative to a due date."""

    _name = "collection.ruler"
    _description = "Collection Ruler"
    _order = "sequence, name, id"
    _check_company_auto = True

    # === Identification === #
    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        comodel_name="res.company",
        default=lambda self: self.env.company,
        index=True,
        help="Leave empty to share this ruler between all companies.",
    )
    note = fields.Html(translate=True)

    # === Steps === #
    step_ids = fields.One2many(
        comodel_name="collection.ruler.step",
        inverse_name="ruler_id",
        string="Steps",
        copy=True,
        context={"active_test": False},
        # Fallback steps belong to their step (``fallback_step_ids``).
        domain=[("fallback_for_id", "=", False)],
    )

    # === Late charges === #
    fine_percent = fields.Float(
        string="Late Fine (%)",
        digits=(16, 2),
        default=2.0,
        help="Charged once on the amount still due, from the first day late. "
        "Individuals are never charged more than 2% (Brazilian consumer code, "
        "art. 52, paragraph 1).",
    )
    interest_rule = fields.Selection(
        selection=[
            ("contract", "Rate Agreed by Contract"),
            ("legal", "Legal Rate (Lei 14.905/2024)"),
        ],
        string="Interest",
        required=True,
        default="contract",
        help="Rate Agreed by Contract: the monthly percentage below, which the "
        "letters say was agreed; choose it only when a contract with each "
        "customer of the ruler sets it. Legal Rate: the Civil Code's rate "
        "(art. 406, as amended by Lei 14.905/2024), from the monthly figures "
        "of Configuration > Legal Interest Rates, and 1% a month before 30 "
        "August 2024.",
    )
    interest_percent = fields.Float(
        string="Monthly Interest (%)",
        digits=(16, 4),
        default=1.0,
        help="The rate agreed by contract, charged pro rata per day late on the "
        "amount still due, a month counting as 30 days. The amounts are shown "
        "in letters and templates and never posted.",
    )

    correction_index = fields.Selection(
        selection=[
            ("none", "None"),
            ("ipca", "IPCA (Civil Code, art. 389)"),
        ],
        string="Monetary Correction",
        required=True,
        default="none",
        help="IPCA: the amount due is corrected by each month's IPCA from "
        "Configuration > Legal Interest Rates, the index the Civil Code sets "
        "when none was agreed (art. 389, sole paragraph, as amended by Lei "
        "14.905/2024), from 30 August 2024. The fine and the interest are "
        "charged on the amount due before correction.",
    )

    protest_allowed = fields.Boolean(
        string="Debts Can Be Protested",
        help="Tick when the invoices of this ruler are backed by a title that can "
        "be protested, a duplicata or a signed contract (Lei 9.492/1997). "
        "Otherwise the heavy extrajudicial notice announces no protest.",
    )

    # === Usage === #
    partner_count = fields.Integer(
        string="Customers Assigned",
        compute="_compute_partner_count",
        help="The customers given this ruler on their form, in this company. "
        "Customers without a ruler of their own, whose invoices get it from an "
        "assignment rule or as the company's default, are not counted: Open "
        "Invoices counts every invoice that follows it.",
    )
    invoice_count = fields.Integer(
        string="Open Invoices",
        compute="_compute_invoice_count",
        help="The customer invoices still to be paid that follow this ruler, "
        "whether it came from the invoice, its customer, an assignment rule "
        "or the company's default ruler.",
    )
    backfill_pending = fields.Boolean(
        compute="_compute_backfill_pending",
        help="Open invoices wait for their ruler or schedule, which the next "
        "scheduled run gives them.",
    )

    # === Compute methods === #

    def _compute_partner_count(self):
        partners_by_ruler = self._get_partners_by_ruler()
        for ruler in self:
            ruler.partner_count = len(partners_by_ruler.get(ruler.id, []))

    def _compute_invoice_count(self):
        Move = self.env["account.move"]
        groups = Move._read_group(
            [
                ("collection_ruler_id", "in", self.ids),
                *Move._collection_get_collectible_domain(),
            ],
            groupby=["collection_ruler_id"],
            aggregates=["__count"],
        )
        counts = {ruler.id: count for ruler, count in groups}
        for ruler in self:
            ruler.invoice_count = counts.get(ruler.id, 0)

    def _compute_backfill_pending(self):
        pending = self.env["collection.ruler.backfill"]._is_pending()
        for ruler in self:
            ruler.backfill_pending = pending

    # === Constraints === #

    @api.constrains("fine_percent", "interest_percent")
    def _check_late_charges(self):
        for ruler in self:
            if not 0 <= ruler.fine_percent <= 100:
                raise ValidationError(
                    self.env._(
                        "The late fine of %(ruler)s must be between 0%% and 100%%.",
                        ruler=ruler.name,
                    )
                )
            if ruler.interest_percent < 0:
                raise ValidationError(
                    self.env._(
                        "The monthly interest of %(ruler)s cannot be negative.",
                        ruler=ruler.name,
                    )
                )
        over_cap = self.filtered(lambda r: r.fine_percent > INDIVIDUAL_FINE_CAP)
        if not over_cap:
            return
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .search([("collection_ruler_id", "in", over_cap.ids)])
        )
        individuals = partners.filtered(lambda p: p._collection_is_individual())
        if individuals:
            raise ValidationError(over_cap._get_fine_cap_message(individuals[:1]))

    def _get_fine_cap_message(self, partner):
        """The error shown when a fine over the cap would reach an individual."""
        return self.env._(
            "The late fine of %(ruler)s is %(fine)s%%, but %(customer)s is an "
            "individual: Brazil's consumer code (art. 52, paragraph 1) caps the "
            "fine charged to individuals at 2%%. Lower the fine or use another "
            "ruler for this customer.",
            ruler=self[:1].name,
            fine=self[:1].fine_percent,
            customer=partner.display_name,
        )

    def _get_fine_percent(self, partner):
        """The late fine rate this ruler charges ``partner``.

        :param partner: the debtor (res.partner)
        :return: float, a percentage
        """
        self.ensure_one()
        if partner and partner._collection_is_individual():
            return min(self.fine_percent, INDIVIDUAL_FINE_CAP)
        return self.fine_percent

    # === Actions === #

    def action_view_invoices(self):
        """Open the customer invoices still to be paid that follow this ruler."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [
            ("collection_ruler_id", "=", self.id),
            *self.env["account.move"]._collection_get_collectible_domain(),
        ]
        action["context"] = {"default_move_type": "out_invoice", "create": False}
        return action

    def action_view_partners(self):
        """Open the customers that have this ruler assigned."""
        self.ensure_one()
        partner_ids = self._get_partners_by_ruler().get(self.id, [])
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customers Assigned"),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": [("id", "in", partner_ids)],
        }

    def action_run_now(self):
        """Run every due event of these rulers right away. With nothing due,
        leave no run, and say why, as the scheduled action leaves none.

        :return: a client notification summarising the run, linking to it
        """
        self.env["collection.ruler.event"].check_access("write")
        self.check_access("write")
        Run = self.env["collection.ruler.run"].sudo()
        if not Run._has_due_work(rulers=self, companies=self.env.companies):
            return self._get_nothing_due_notification()
        run = Run._start("manual", rulers=self)
        result = run._process(companies=self.env.companies)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Collection run finished"),
                "message": self.env._(
                    "%(done)s sent, %(failed)s failed, %(deferred)s deferred, "
                    "%(retried)s to retry, %(skipped)s skipped, %(cancelled)s "
                    "cancelled. %%s",
                    **{key: result[key] for key in OUTCOMES},
                ),
                "links": [
                    {
                        "label": self.env._("See the run"),
                        "url": "/odoo/action-collection_ruler."
                        f"collection_ruler_run_action/{run.id}",
                    }
                ],
                "type": "success" if not result["failed"] else "warning",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _get_nothing_due_notification(self):
        """The notification of a Run Now that found nothing due: why, and a
        link to the scheduled run of today that handled the day's steps."""
        Run = self.env["collection.ruler.run"].sudo()
        message, run = Run._get_nothing_due_message()
        params = {
            "title": self.env._("Nothing to run"),
            "message": message,
            "type": "info",
            "next": {"type": "ir.actions.act_window_close"},
        }
        if run:
            params["message"] += " %s"
            params["links"] = [
                {
                    "label": self.env._("See the run"),
                    "url": "/odoo/action-collection_ruler."
                    f"collection_ruler_run_action/{run.id}",
                }
            ]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": params,
        }

    # === Business methods === #

    def _get_partners_by_ruler(self):
        """Map each ruler id to the ids of the partners using it.

        The partner field is company dependent, so the lookup goes through a
        search in the current company, which applies the right value.

        :return: dict {ruler_id: [partner ids]}
        """
        if not self.ids:
            return {}
        partners = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search([("collection_ruler_id", "in", self.ids)])
        )
        result = {}
        for partner in partners:
            result.setdefault(partner.collection_ruler_id.id, []).append(partner.id)
        return result

    def _reschedule_open_invoices(self):
        """Bring the events of the open invoices of these rulers up to date."""
        if not self:
            return
        Move = self.env["account.move"].sudo()
        moves = Move.search(
            [
                ("collection_ruler_id", "in", self.ids),
                *Move._collection_get_collectible_domain(),
            ]
        )
        moves._collection_sync_events()

    # ----------------------------------------------------------------------
    # Promises
    # ----------------------------------------------------------------------

    promise_max_days = fields.Integer(
        string="Portal Promises Up To (days)",
        default=15,
        help="A customer may promise, from the invoice's portal page, to pay "
        "within this many days. 0: no promise from the portal.",
    )

    # ----------------------------------------------------------------------
    # Contact cap
    # ----------------------------------------------------------------------

    contact_cap_day = fields.Integer(
        string="Contacts per Day",
        default=1,
        help="The most contacts one customer receives in a day, across all "
        "channels and invoices. 0: no limit.",
    )
    contact_cap_week = fields.Integer(
        string="Contacts per 7 Days",
        default=3,
        help="The most contacts one customer receives in any 7 days running. "
        "0: no limit. A step over a limit waits for the next day allowed; "
        "steps with legal weight never wait, but they count.",
    )

    @api.constrains("contact_cap_day", "contact_cap_week")
    def _check_contact_cap(self):
        if any(r.contact_cap_day < 0 or r.contact_cap_week < 0 for r in self):
            raise ValidationError(self.env._("A contact limit is not negative."))

    # ----------------------------------------------------------------------
    # Digest
    # ----------------------------------------------------------------------

    digest = fields.Boolean(
        string="One Message per Customer",
        default=True,
        help="When several invoices of one customer have a step due on the same "
        "day on the same channel, send one message that lists them all, with "
        "one pay link for the total. Credit-bureau steps stay per invoice.",
    )
