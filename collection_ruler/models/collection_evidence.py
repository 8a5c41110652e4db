"""Evidence of every collection contact, kept so that it cannot be altered.

A *contact* row is written when a step hands its message to its channel (or
when a letter is printed): the channel, the recipient, the exact content
sent, a copy of the letter's PDF, and the time. A *receipt* row is added for
each delivery status the channel reports afterwards (sent, delivered, read,
answered, posted, bounced...), with its time.

Rows are append-only: the ORM refuses to change or delete them, and a
PostgreSQL trigger refuses it to SQL too. Each row carries a SHA-256
fingerprint of its facts, a receipt's including its contact's, so a copy of
the proof-of-notice report can be checked against the database.
"""

import base64
import hashlib
import json

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .collection_channel import channel_selection, clock, dry_run

# What a row's fingerprint covers, with its time and its contact's fingerprint.
FACTS = (
    "kind",
    "move_id",
    "channel",
    "recipient",
    "subject",
    "content",
    "document_sha256",
    "receipt_state",
    "detail",
)


def sha256(data):
    """The SHA-256 hex digest of ``data`` (str or bytes)."""
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data or b"").hexdigest()


class CollectionEvidence(models.Model):
    _name = "collection.evidence"
    _description = "Collection Contact Evidence"
    _order = "sent_at, id"
    _rec_name = "fingerprint"
    _check_company_auto = True

    kind = fields.Selection(
        selection=[("contact", "Contact"), ("receipt", "Delivery Receipt")],
        required=True,
        readonly=True,
    )
    contact_id = fields.Many2one(
        comodel_name="collection.evidence",
        string="Contact",
        ondelete="restrict",
        index="btree_not_null",
        readonly=True,
        help="The contact this delivery receipt reports on.",
    )
    receipt_ids = fields.One2many(
        comodel_name="collection.evidence",
        inverse_name="contact_id",
        string="Delivery Receipts",
        readonly=True,
    )
    company_id = fields.Many2one(
        comodel_name="res.company", required=True, ondelete="restrict", readonly=True
    )
    move_id = fields.Many2one(
        comodel_name="account.move",
        string="Invoice",
        required=True,
        ondelete="restrict",
        index=True,
        readonly=True,
        check_company=True,
    )
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        ondelete="restrict",
        readonly=True,
    )
    event_id = fields.Many2one(
        comodel_name="collection.ruler.event",
        string="Collection Event",
        # The only change a row accepts: its event deleted with its step.
        ondelete="set null",
        index="btree_not_null",
        readonly=True,
    )
    step_name = fields.Char(string="Step", readonly=True)
    channel = fields.Selection(selection=channel_selection, readonly=True)
    recipient = fields.Char(readonly=True)
    subject = fields.Char(readonly=True)
    content = fields.Text(readonly=True, help="The exact text sent: HTML for an email.")
    document = fields.Binary(
        string="Letter",
        attachment=False,
        readonly=True,
        help="A copy of the PDF sent or printed.",
    )
    document_name = fields.Char(readonly=True)
    document_sha256 = fields.Char(
        string="Letter SHA-256",
        readonly=True,
        help="Check a printed or received PDF with: sha256sum file.pdf",
    )
    sent_at = fields.Datetime(
        string="On",
        required=True,
        readonly=True,
        help="For a contact, when it was handed to its channel; for a "
        "receipt, when the channel says the status happened.",
    )
    receipt_state = fields.Selection(
        selection=lambda self: (
            self.env["collection.ruler.event"]
            ._fields["delivery_state"]
            ._description_selection(self.env)
        ),
        string="Status",
        readonly=True,
    )
    detail = fields.Char(readonly=True)
    fingerprint = fields.Char(
        string="Fingerprint (SHA-256)",
        required=True,
        readonly=True,
        help="SHA-256 of the row's facts; a receipt's includes its contact's.",
    )
    intact = fields.Boolean(
        compute="_compute_intact",
        help="The stored facts still match their fingerprint.",
    )

    def init(self):
        # Append-only in the database too. The one update allowed is the
        # foreign key's own ON DELETE SET NULL of the event.
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE FUNCTION collection_evidence_append_only()
                RETURNS trigger AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND NEW.event_id IS NULL
                       AND to_jsonb(NEW) - 'event_id' = to_jsonb(OLD) - 'event_id'
                    THEN
                        RETURN NEW;
                    END IF;
                    RAISE EXCEPTION USING MESSAGE =
                        'collection evidence ' || OLD.id || ' is append-only';
                END;
                $$ LANGUAGE plpgsql;
                DROP TRIGGER IF EXISTS collection_evidence_append_only ON %(table)s;
                CREATE TRIGGER collection_evidence_append_only
                    BEFORE UPDATE OR DELETE ON %(table)s
                    FOR EACH ROW EXECUTE FUNCTION collection_evidence_append_only();
                """,
                table=SQL.identifier(self._table),
            )
        )

    # === Append-only === #

    def write(self, vals):  # pylint: disable=method-required-super
        raise UserError(
            self.env._(
                "Collection evidence is kept as it was recorded: it never changes."
            )
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(
            self.env._(
                "Collection evidence is kept as it was recorded: it is never "
                "deleted."
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        contacts = self.browse(
            {vals["contact_id"] for vals in vals_list if vals.get("contact_id")}
        )
        fingerprints = dict(
            zip(contacts.ids, contacts.mapped("fingerprint"), strict=True)
        )
        for vals in vals_list:
            # The fingerprint hashes the time as the database keeps it.
            sent_at = fields.Datetime.to_datetime(vals.get("sent_at"))
            vals["sent_at"] = sent_at and sent_at.replace(microsecond=0)
            if vals.get("document") and not vals.get("document_sha256"):
                vals["document_sha256"] = sha256(base64.b64decode(vals["document"]))
            vals["fingerprint"] = self._fingerprint(
                vals, fingerprints.get(vals.get("contact_id"))
            )
        return super().create(vals_list)

    @api.model
    def _fingerprint(self, vals, contact_fingerprint=None):
        """SHA-256 of the facts of a row, from its values."""
        facts = {name: vals.get(name) or "" for name in FACTS}
        facts["sent_at"] = fields.Datetime.to_string(vals.get("sent_at")) or ""
        facts["contact"] = contact_fingerprint or ""
        return sha256(json.dumps(facts, sort_keys=True))

    @api.depends("fingerprint")
    def _compute_intact(self):
        for row in self:
            vals = {name: row[name] for name in FACTS}
            vals.update(move_id=row.move_id.id, sent_at=row.sent_at)
            document_ok = sha256(row._get_document_bytes()) == (
                row.document_sha256 or sha256(b"")
            )
            row.intact = document_ok and row.fingerprint == self._fingerprint(
                vals, row.contact_id.fingerprint
            )

    def _get_document_bytes(self):
        """The stored PDF's bytes (a Binary field reads as base64)."""
        self.ensure_one()
        return base64.b64decode(self.with_context(bin_size=False).document or b"")

    # === Recording === #

    @api.model
    def _record_contacts(self, events):
        """Record the contact each done event made, from its channel.

        :param events: collection.ruler.event records just done
        :return: the contact rows created
        """
        if dry_run(self.env) or not events:
            return self.browse()
        values = []
        for channel, group in events.grouped("channel").items():
            facts = self.env[f"collection.channel.{channel}"]._get_evidence(group)
            for event in group:
                if event.id in facts:
                    values.append(self._prepare_contact(event, facts[event.id]))
        return self.sudo().create(values)

    @api.model
    def _prepare_contact(self, event, facts, when=None):
        """Values of a contact row of ``event``.

        :param dict facts: recipient, content and optionally subject,
            document (raw bytes) and document_name
        """
        move = event.move_id
        vals = {
            "kind": "contact",
            "company_id": event.company_id.id,
            "move_id": move.id,
            "partner_id": move.partner_id.id,
            "event_id": event.id,
            "step_name": event.step_id.name,
            "channel": event.channel,
            "sent_at": when or clock(self.env),
            **facts,
        }
        if vals.get("document"):
            raw = vals["document"]
            vals["document"] = base64.b64encode(raw)
            vals["document_sha256"] = sha256(raw)
        return vals

    @api.model
    def _record_receipts(self, events, state, when, detail=None):
        """Record a delivery status on the latest contact of each event.

        :param events: collection.ruler.event records whose status changed
        :param str state: the ``delivery_state`` they reached
        """
        if dry_run(self.env) or not events:
            return self.browse()
        contacts = self.sudo().search(
            [("event_id", "in", events.ids), ("kind", "=", "contact")],
            order="id desc",
        )
        latest = {}
        for contact in contacts:
            latest.setdefault(contact.event_id.id, contact)
        values = [
            {
                "kind": "receipt",
                "contact_id": contact.id,
                "company_id": contact.company_id.id,
                "move_id": contact.move_id.id,
                "partner_id": contact.partner_id.id,
                "event_id": contact.event_id.id,
                "step_name": contact.step_name,
                "channel": contact.channel,
                "recipient": contact.recipient,
                "receipt_state": state,
                "detail": detail,
                "sent_at": when,
            }
            for contact in latest.values()
        ]
        return self.sudo().create(values)
