from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, models
from odoo.tools.misc import format_date

from .collection_channel import Outcome, dry_run

# A debt older than this is never registered with a credit bureau (consumer
# code, art. 43, paragraphs 1 and 5).
BUREAU_MAX_DEBT_AGE_YEARS = 5


class CollectionChannelCreditBureau(models.AbstractModel):
    """Credit bureau: register the debtor, once the law allows it.

    Brazil's consumer code (art. 43, paragraph 2) requires a written notice
    before the registration: a debit notice of the invoice must have been
    proven delivered (collection_notice_proof.py) at least the company's
    notice days earlier, and the deadline it announced must have passed.
    Before then the event is deferred; with no debit notice it fails. A late
    run never skips it.
    """

    _name = "collection.channel.credit_bureau"
    _inherit = "collection.channel"
    _description = "Collection Channel: Credit Bureau"
    _never_skipped = True
    _legal_weight = True
    _needs_contact = False
    _counts_as_contact = False
    # A registration is no substitute for a message the debtor did not get.
    _may_be_fallback = False

    @api.model
    def _get_step_defaults(self):
        return {"bureau": "serasa"}

    @api.model
    def _check_step(self, step):
        if not step.bureau:
            return [
                self.env._(
                    "Step %(name)s registers the debtor with a credit bureau: "
                    "choose the bureau.",
                    name=step.name,
                )
            ]
        return []

    @api.model
    def _get_serves_as_debit_notice(self, step):
        return False

    @api.model
    def _get_bureau(self, step):
        return step.bureau

    @api.model
    def _get_contact_hours_channel(self, event):
        return False  # a registration contacts nobody

    @api.model
    def _get_unreachable_reasons(self, events):
        reasons = {}
        for event in events:
            debtor = event.move_id.commercial_partner_id
            if not debtor._collection_get_tax_id_kind():
                reasons[event.id] = self.env._(
                    "%(customer)s has no valid CPF/CNPJ: a credit bureau cannot "
                    "register a debtor without one.",
                    customer=debtor.display_name,
                )
        return reasons

    @api.model
    def _execute_batch(self, events, deadline=None):
        outcomes, events = self._split_unreachable(events)
        outcomes.update(self._run_each(events, self._register_debtor))
        return outcomes

    @api.model
    def _preview_batch(self, events):
        # The registration's checks are the step's real outcome, and what it
        # creates stays in the database, which a Preview rolls back.
        return self._execute_batch(events)

    @api.model
    def _get_debit_notices(self, event):
        """The debit notices of ``event``'s invoice that went out, oldest first:
        the events of steps that serve as debit notice, an earlier letter in
        place of a step it covered (``covered_event_id``)."""
        notices = self.env["collection.ruler.event"].search(
            [
                ("move_id", "=", event.move_id.id),
                ("step_id.serves_as_debit_notice", "=", True),
                ("state", "=", "done"),
            ],
        )
        covered = notices.filtered("covered_event_id")
        notices = (notices - covered) | covered.covered_event_id
        return notices.sorted(lambda n: (n.executed_at, n.id))

    @api.model
    def _register_debtor(self, event):
        """Create the registration of ``event``, or say why it must wait."""
        move = event.move_id
        debtor = move.commercial_partner_id
        company = event.company_id
        today = company._collection_get_today()
        oldest = today - relativedelta(years=BUREAU_MAX_DEBT_AGE_YEARS)
        if move._collection_get_due_date() < oldest:
            return Outcome.failed(
                self.env._(
                    "The invoice fell due more than five years ago: the consumer "
                    "code (art. 43, paragraphs 1 and 5) forbids registering it."
                )
            )
        notices = self._get_debit_notices(event)
        if not notices:
            return Outcome.failed(
                self.env._(
                    "No debit notice was sent for this invoice: a debtor is "
                    "registered with a credit bureau only after a written notice "
                    "(consumer code, art. 43, paragraph 2). Add a debit notice "
                    "step before this one."
                )
            )
        Proof = self.env["collection.notice.proof"]
        proofs = [(Proof._get_proof(notice), notice) for notice in notices]
        delivered = sorted(
            ((proof[0], n) for proof, n in proofs if proof[0]),
            key=lambda pair: (pair[0], pair[1].id),
        )
        if not delivered:
            printed = Proof._fall_back_to_printed_notice(notices, today)
            why = (Proof._get_proof(printed) if printed else proofs[-1][0])[1]
            return Outcome.deferred(
                today + timedelta(days=1),
                self.env._(
                    "No proof yet that the debit notice reached the debtor "
                    "(%(why)s): the registration waits for it.",
                    why=why,
                ),
            )
        sent_date, notice = delivered[0]
        notice_days = debtor._collection_get_bureau_notice_days(company)
        allowed = sent_date + timedelta(days=notice_days)
        if notice.letter_deadline:
            # Never before the day after the deadline the notice announced.
            allowed = max(allowed, notice.letter_deadline + timedelta(days=1))
        after_due = debtor._collection_get_bureau_notice_period().days_after_due
        earliest = move._collection_get_due_date() + timedelta(days=after_due)
        if after_due and today < earliest and allowed <= earliest:
            return Outcome.deferred(
                earliest,
                self.env._(
                    "The rule of the debtor's state allows a registration only "
                    "%(days)s days after the due date: it waits until %(date)s.",
                    days=after_due,
                    date=format_date(self.env, earliest),
                ),
            )
        if today < allowed:
            return Outcome.deferred(
                allowed,
                self.env._(
                    "The debit notice was delivered on %(date)s; with the %(days)s "
                    "days of notice the debtor is given, the registration waits "
                    "until %(allowed)s.",
                    date=format_date(self.env, sent_date),
                    days=notice_days,
                    allowed=format_date(self.env, allowed),
                ),
            )
        Registration = self.env["collection.bureau.registration"].sudo()
        registration = Registration.create(
            Registration._prepare_registration_values(event, sent_date)
        )
        if not dry_run(self.env):
            registration._attach_proof_of_notice()
        return Outcome.done(
            {"registration_id": registration.id},
            note=self.env._(
                "Collection step %(step)s done: see the credit bureau registrations.",
                step=event.step_id.name,
            ),
        )

    @api.model
    def _on_collection_stopped(self, events, reason):
        # The debt no longer stands: ask for the removal of its registrations.
        events.move_id._collection_request_bureau_removal(reason)
