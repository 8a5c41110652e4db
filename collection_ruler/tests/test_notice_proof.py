"""Proof of notice: a registration waits until its debit notice is proven
delivered, and every contact's evidence is kept unaltered."""

import hashlib

import psycopg2
from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import day
from .test_bureau import CreditBureauCommon


@tagged("post_install", "-at_install")
class TestNoticeProof(CreditBureauCommon):
    def _notice(self, move):
        return self._events(move)[self.step_debit]

    def _bureau(self, move):
        return self._events(move)[self.step_bureau]

    def _print_letters(self, when):
        """Print every letter waiting to be printed, as PDFs, at ``when``."""
        with (
            freeze_time(when),
            mute_logger("odoo.addons.base.models.ir_actions_report"),
        ):
            self._download_letters(
                self._print_pending(
                    self.Event.with_context(force_report_rendering=True)
                )
            )

    def test_queued_email_refused_then_allowed_on_its_receipt(self):
        self.company.collection_notice_proof_days = 60  # no printed fallback here
        move = self._create_invoice()
        self._run_at(day(5), send_mails=False)
        notice = self._notice(move)
        self.assertEqual(notice.delivery_state, "queued")
        self._run_at(day(35), send_mails=False)
        bureau = self._bureau(move)
        self.assertEqual(bureau.state, "scheduled")
        self.assertEqual(bureau.scheduled_date, day(36).date())
        self.assertIn("no delivery receipt came back yet", bureau.failure_reason)
        self.assertFalse(self.Registration.search([("move_id", "=", move.id)]))
        # The mail server accepts the queued mails on D+35.
        with freeze_time(day(35)), self.mock_mail_gateway():
            self.env["mail.mail"].sudo().search([("state", "=", "outgoing")]).send()
        self.assertEqual(notice.delivery_state, "sent")
        receipt = notice.evidence_ids.filtered(lambda r: r.kind == "receipt")
        self.assertEqual((receipt.receipt_state, receipt.sent_at), ("sent", day(35)))
        # RJ's 10 days run from that proof, not from the queueing.
        self._run_at(day(36))
        self.assertEqual(bureau.scheduled_date, day(45).date())
        self._run_at(day(45))
        self.assertEqual(bureau.state, "done")
        self.assertEqual(bureau.registration_id.debit_notice_date, day(35).date())

    def test_letter_waiting_to_be_printed_holds_the_registration(self):
        self.customer.email = False
        move = self._create_invoice()
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            self._run_at(day(5))
            self._run_at(day(35))
        bureau = self._events(move)[self.step_bureau]
        self.assertEqual(bureau.state, "scheduled")
        self.assertEqual(bureau.scheduled_date, day(36).date())
        self.assertIn("not been printed", bureau.failure_reason)
        # Printed on D+36: not proof of notice yet.
        notice = self._events(move)[self.step_debit]
        self._print_letters(day(36))
        self._run_at(day(36))
        self.assertEqual(bureau.scheduled_date, day(37).date())
        self.assertIn("printed but not marked as posted", bureau.failure_reason)
        # Printed on Wednesday 15 April, the letter reaches its reader ten
        # business days later (Tiradentes, 21 April, is a holiday), on 30
        # April; ten days on is Sunday 10 May: it gives until Monday 11 May.
        self.assertEqual(notice.letter_deadline, day(62).date())
        # Posted on D+37: the 10 days of RJ run from then, but the
        # registration waits for the deadline the letter gave.
        with freeze_time(day(38)):
            self.env["collection.letter.post"].with_context(
                active_model=notice._name, active_ids=notice.ids
            ).create({"posted_date": day(37).date()}).action_confirm()
        self.assertEqual(
            (notice.letter_posted_date, notice.delivery_state),
            (day(37).date(), "posted"),
        )
        receipt = notice.evidence_ids.filtered(lambda r: r.kind == "receipt")
        self.assertEqual(receipt.receipt_state, "posted")
        printed = notice.letter_attachment_id.raw
        self.assertEqual(
            receipt.contact_id.document_sha256, hashlib.sha256(printed).hexdigest()
        )
        self._run_at(day(38))
        self.assertEqual(bureau.scheduled_date, day(63).date())
        self._run_at(day(63))
        self.assertEqual(bureau.state, "done")
        self.assertEqual(bureau.registration_id.debit_notice_date, day(37).date())

    def test_a_company_may_count_queued_emails(self):
        self.company.collection_notice_accept_queued = True
        move = self._create_invoice()
        self._run_at(day(5), send_mails=False)
        self._run_at(day(35), send_mails=False)
        bureau = self._bureau(move)
        self.assertEqual(bureau.state, "done")
        self.assertEqual(bureau.registration_id.debit_notice_date, day(5).date())

    def test_unproven_notice_falls_back_to_a_printed_letter(self):
        move = self._create_invoice()
        self._run_at(day(5), send_mails=False)
        notice = self._notice(move)
        # D+35: thirty days without proof, more than the company's five.
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            self._run_at(day(35), send_mails=False)
        bureau = self._bureau(move)
        self.assertEqual(bureau.state, "scheduled")
        self.assertIn("not been printed yet", bureau.failure_reason)
        self.assertTrue(notice.letter_to_print)
        self.assertIn(
            "no proof that the debit notice", " ".join(move.message_ids.mapped("body"))
        )
        self.assertIn(notice, self.Event.search([("letter_to_print", "=", True)]))
        self._print_letters(day(36))
        with freeze_time(day(36)):
            self.Event.browse(notice.ids)._mark_posted(day(36).date())
        self._run_at(day(37))
        # After the deadline of the reprinted letter, which gives its ten
        # days from its arrival by post (D+62).
        self.assertEqual(notice.letter_deadline, day(62).date())
        self.assertEqual(bureau.scheduled_date, day(63).date())
        self._run_at(day(63))
        self.assertEqual(bureau.state, "done")
        self.assertEqual(bureau.registration_id.debit_notice_date, day(36).date())

    def test_a_bounced_notice_is_printed_at_once(self):
        move = self._create_invoice()
        self._run_at(day(5))
        notice = self._notice(move)
        self.assertEqual(notice.delivery_state, "sent")
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            self.env["collection.ruler.delivery"]._set_delivery(
                notice, "bounced", day(6), reason="The email bounced."
            )
        self.assertEqual(notice.state, "done", "the notice stands, on paper")
        self.assertTrue(notice.letter_to_print)
        self.assertEqual(
            self.env["collection.notice.proof"]._get_proof(notice)[0], False
        )
        self._run_at(day(35))
        self.assertIn("not been printed yet", self._bureau(move).failure_reason)

    def test_posting_needs_a_printed_letter_and_a_past_date(self):
        self.customer.email = False
        move = self._create_invoice()
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            self._run_at(day(5))
        notice = self._notice(move)
        with self.assertRaisesRegex(UserError, "Only printed letters"):
            notice._mark_posted(day(5).date())
        self._print_letters(day(6))
        with freeze_time(day(6)):
            with self.assertRaisesRegex(UserError, "not in the future"):
                notice._mark_posted(day(7).date())
            with self.assertRaisesRegex(UserError, "not in the future"):
                notice._mark_posted(day(5).date())
            # Any collection user who prints may record the posting.
            notice.with_user(self.salesperson)._mark_posted(day(6).date())
        self.assertEqual(notice.letter_posted_date, day(6).date())

    def test_evidence_is_kept_unaltered(self):
        move = self._create_invoice()
        self._run_at(day(5))
        notice = self._notice(move)
        contact = notice.evidence_ids.filtered(lambda r: r.kind == "contact")
        self.assertEqual(len(contact), 1)
        self.assertEqual(contact.channel, "letter")
        self.assertIn("financeiro@padaria.example.com", contact.recipient)
        self.assertTrue(contact.subject and contact.content)
        letter = notice.letter_attachment_id.raw
        self.assertEqual(contact.document_sha256, hashlib.sha256(letter).hexdigest())
        self.assertEqual(contact._get_document_bytes(), letter)
        self.assertEqual(len(contact.fingerprint), 64)
        self.assertTrue(contact.intact)
        receipt = contact.receipt_ids
        self.assertEqual(receipt.receipt_state, "sent")
        self.assertTrue(receipt.intact)
        # Data files give the time as text: the same fingerprint.
        copy = (
            self.env["collection.evidence"]
            .sudo()
            .create(
                {
                    **contact.copy_data()[0],
                    "sent_at": fields.Datetime.to_string(contact.sent_at),
                    "document": False,
                    "document_sha256": contact.document_sha256,
                }
            )
        )
        self.assertEqual(copy.fingerprint, contact.fingerprint)
        # Neither the ORM nor SQL may change or delete it.
        with self.assertRaisesRegex(UserError, "never changes"):
            contact.sudo().write({"recipient": "someone@else.example.com"})
        with self.assertRaisesRegex(UserError, "never deleted"):
            contact.sudo().unlink()
        with (
            self.assertRaisesRegex(psycopg2.Error, "append-only"),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(
                "UPDATE collection_evidence SET recipient = 'x' WHERE id = %s",
                [contact.id],
            )
        with (
            self.assertRaisesRegex(psycopg2.Error, "append-only"),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(
                "DELETE FROM collection_evidence WHERE id = %s", [contact.id]
            )
        # Altered behind the database's back (its trigger off): the
        # fingerprint no longer matches, and the receipt's neither.
        self.env.cr.execute(
            "ALTER TABLE collection_evidence DISABLE TRIGGER "
            "collection_evidence_append_only"
        )
        self.env.cr.execute(
            "UPDATE collection_evidence SET content = 'Pay or else' WHERE id = %s",
            [contact.id],
        )
        self.env.cr.execute(
            "ALTER TABLE collection_evidence ENABLE TRIGGER "
            "collection_evidence_append_only"
        )
        contact.invalidate_recordset()
        self.assertFalse(contact.intact)
        self.assertTrue(receipt.intact, "a receipt vouches for its own facts")

    def test_proof_of_notice_attached_to_the_registration(self):
        move = self._create_invoice()
        self._run_at(day(-3))
        self._run_at(day(5))
        self._run_at(day(35))
        registration = self._bureau(move).registration_id
        attachment = registration.proof_attachment_id
        self.assertEqual(
            (attachment.res_model, attachment.res_id),
            (registration._name, registration.id),
        )
        self.assertIn("Proof of notice", attachment.name)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("collection_ruler.report_proof_of_notice", move.ids)[0]
            .decode()
        )
        contacts = move.collection_evidence_ids.filtered(lambda r: r.kind == "contact")
        # Every message that went out: the reminder, the debit notice...
        sent = move.collection_event_ids.filtered(
            lambda e: e.state == "done" and e.channel in ("email", "letter")
        )
        self.assertGreaterEqual(len(sent), 2)
        self.assertEqual(contacts.event_id, sent)
        for row in move.collection_evidence_ids:
            self.assertIn(row.fingerprint, html)
        self.assertIn(contacts.filtered("document_sha256")[0].document_sha256, html)
        self.assertNotIn("ALTERED", html)
        # A real PDF when the report engine renders.
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            content, _type = (
                self.env["ir.actions.report"]
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf(
                    "collection_ruler.action_report_proof_of_notice", move.ids
                )
            )
        self.assertTrue(content.startswith(b"%PDF"))
