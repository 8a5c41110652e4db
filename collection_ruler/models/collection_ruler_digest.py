"""One digest per customer: one message for all of a customer's invoices.

When several invoices of one customer have a step due on the same day on the
same channel, and their ruler says so (``digest``, on by default), the
channel sends one message: the step of the most overdue invoice, the
*primary* event, rendered with the list of every invoice. The templates read
that list from ``collection_digest_move_ids`` and the totals beside it; for
an invoice sent alone they hold that invoice only, so that one template
serves both forms.

Each other invoice's event is done with the primary's outcome, points to it
(``digest_event_id``) and shares its message; the cap counts the digest as
one contact. A channel joins by setting ``_digest``; a template without a
digest form (one that never reads ``collection_digest_*``, such as one
written before digests) sends one message per invoice. A letter digests per
letter type, a credit-bureau registration never.
"""

from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import consteq
from odoo.tools.misc import hmac

from .collection_channel import Outcome, clock

# The scope of the signature of the pay-all links.
PAY_ALL_SCOPE = "collection_ruler.pay_all"


class CollectionRuler(models.Model):
    _inherit = "collection.ruler"  # pylint: disable=consider-merging-classes-inherited

    digest = fields.Boolean(
        string="One Message per Customer",
        default=True,
        help="When several invoices of one customer have a step due on the same "
        "day on the same channel, send one message that lists them all, with "
        "one pay link for the total. Credit-bureau steps stay per invoice.",
    )


class CollectionRulerEvent(models.Model):
    _inherit = "collection.ruler.event"  # pylint: disable=consider-merging-classes-inherited

    digest_event_id = fields.Many2one(
        comodel_name="collection.ruler.event",
        string="Sent With",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The event whose message also covered this invoice: one message "
        "per customer lists all its invoices due that day.",
    )


class AccountMove(models.Model):
    """The values of a digest, as the templates read them."""

    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    collection_digest_move_ids = fields.Many2many(
        comodel_name="account.move",
        string="Invoices in the Message",
        compute="_compute_collection_digest_move_ids",
        help="The invoices one collection message lists: this invoice alone, or "
        "all of the customer's invoices due that day on the same channel.",
    )
    collection_digest_names = fields.Char(compute="_compute_collection_digest_move_ids")
    collection_digest_amount_due = fields.Monetary(compute="_compute_collection_digest")
    collection_digest_amount_updated = fields.Monetary(
        compute="_compute_collection_digest"
    )
    collection_digest_pay_url = fields.Char(compute="_compute_collection_digest")
    collection_digest_pix_code = fields.Char(compute="_compute_collection_digest")

    @api.depends("name")
    @api.depends_context("collection_digest")
    def _compute_collection_digest_move_ids(self):
        """Which invoices the message lists: cheap, for the email layout."""
        digests = dict(self.env.context.get("collection_digest") or ())
        # Every invoice of the batch's messages read together, not message by
        # message.
        prefetch = tuple({*self._ids, *(i for ids in digests.values() for i in ids)})
        for move in self:
            moves = self.browse(digests.get(move.id) or move.ids).with_prefetch(
                prefetch
            )
            move.collection_digest_move_ids = moves
            move.collection_digest_names = ", ".join(moves.mapped("name"))

    @api.depends("amount_residual", "access_token")
    @api.depends_context("collection_digest", "collection_date")
    def _compute_collection_digest(self):
        for move in self:
            posted = move.state == "posted" and move.move_type == "out_invoice"
            today = move._collection_get_today()
            moves = move.collection_digest_move_ids
            move.collection_digest_amount_due = sum(
                moves.mapped("collection_amount_due")
            )
            updated = posted and sum(
                m._collection_get_charges(today)["total"] for m in moves
            )
            move.collection_digest_amount_updated = updated
            if len(moves) > 1:
                move.collection_digest_pay_url = moves._collection_get_pay_all_url()
                pix = move._collection_get_pix(updated, with_qr_code=False)
                move.collection_digest_pix_code = pix.get("payload", False)
            else:
                move.collection_digest_pay_url = move.collection_pay_url
                move.collection_digest_pix_code = move.collection_pix_code

    def _collection_get_pay_all_url(self):
        """The signed link of the page that pays these invoices together:
        each one's pay link, and one Pix for the total (``controllers/pay.py``)."""
        ids = "-".join(str(move_id) for move_id in sorted(self.ids))
        token = hmac(self.env(su=True), PAY_ALL_SCOPE, ids)
        return f"{self[:1].get_base_url()}/collection/pay/{ids}?token={token}"

    @api.model
    def _collection_check_pay_all_token(self, ids, token):
        """Whether ``token`` signs the pay-all link of invoices ``ids``."""
        expected = hmac(self.env(su=True), PAY_ALL_SCOPE, ids)
        return bool(token) and consteq(expected, token)


class CollectionRulerDigest(models.AbstractModel):
    _name = "collection.ruler.digest"
    _description = "Collection Digest"

    @api.model
    def _get_key(self, Channel, event):
        """What events of one message share, or None when the event goes
        alone: its ruler or its channel sends one message per invoice."""
        if not event.ruler_id.digest or not Channel._can_digest(event):
            return None
        return (event.partner_id.id, Channel._get_digest_key(event))

    @api.model
    def _group(self, Channel, events):
        """Group ``events`` (one company, one channel) into messages.

        :return: dict {primary event: the other events of its message}
        """
        keyed = defaultdict(lambda: events.browse())
        groups = {}
        for event in events:
            key = self._get_key(Channel, event)
            if key is None or not event.partner_id:
                groups[event] = events.browse()
            else:
                keyed[key] |= event
        for group in keyed.values():
            # The most overdue invoice leads: its step speaks for all.
            ordered = group.sorted(
                lambda e: (
                    e.move_id.invoice_date_due or clock(self.env).date(),
                    e.move_id.id,
                )
            )
            groups[ordered[0]] = ordered[1:]
        return groups

    @api.model
    def _execute(self, Channel, events, deadline=None):
        """Run ``events`` through ``Channel``, one message per customer.

        :return: dict {event id: Outcome}, as ``Channel._run_batch``
        """
        covered, events = Channel._split_covered(events)
        if not events:
            return covered
        groups = self._group(Channel, events)
        if not any(groups.values()):
            return covered | Channel._run_batch(events, deadline)
        digest = tuple(
            (primary.move_id.id, tuple((primary.move_id | others.move_id).ids))
            for primary, others in groups.items()
            if others
        )
        primaries = events.browse([primary.id for primary in groups])
        Channel = Channel.with_context(collection_digest=digest)
        outcomes = Channel._run_batch(primaries.with_env(Channel.env), deadline)
        for primary, others in groups.items():
            outcome = outcomes.get(primary.id)
            if outcome is None:
                continue  # left for the next run: the others wait with it
            for event in others:
                outcomes[event.id] = self._get_member_outcome(outcome, primary, event)
        return covered | outcomes

    @api.model
    def _get_member_outcome(self, outcome, primary, event):
        """The outcome of ``event``, whose message ``primary`` carried."""
        if outcome.kind != "done":
            return Outcome(
                outcome.kind,
                reason=outcome.reason,
                date=outcome.date,
                fallback=outcome.fallback,
            )
        return Outcome.done(
            {**outcome.values, "digest_event_id": primary.id},
            note=self.env._(
                "Collection step %(step)s: sent in one message with invoice "
                "%(invoice)s, which lists this invoice.",
                step=event.step_id.name,
                invoice=primary.move_id.name,
            ),
        )
