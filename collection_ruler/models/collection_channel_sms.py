import math
import re
import unicodedata
from uuid import uuid4

from odoo import api, models
from odoo.tools.mail import TEXT_URL_REGEX

from odoo.addons.sms.tools.sms_tools import sms_content_to_rendered_html

from .collection_channel import Outcome

# The GSM 03.38 alphabet of SMS, and its extension whose characters take two
# of the 160 places of a segment. Any other character sends the whole SMS as
# UCS-2, 70 characters a segment.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"
# Spaces that amounts and dates carry in Odoo, outside the GSM-7 alphabet.
SPACES = dict.fromkeys(map(ord, "\u00a0\u202f\u2007\u2009"), " ")


def is_gsm7(text):
    return all(char in GSM7_BASIC or char in GSM7_EXTENDED for char in text)


def to_gsm7(text):
    """``text`` with the letters GSM-7 lacks (ã, ç, á...) written without
    their accent, when that is all that keeps it from GSM-7."""
    text = text.translate(SPACES)
    if is_gsm7(text):
        return text
    plain = "".join(
        char
        if char in GSM7_BASIC or char in GSM7_EXTENDED
        else "".join(
            c
            for c in unicodedata.normalize("NFKD", char)
            if not unicodedata.combining(c)
        )
        for char in text
    )
    return plain if is_gsm7(plain) else text


def sms_segments(text):
    """How a text is sent: its encoding, its length in that encoding, and
    the number of segments it is billed as.

    :return: (``"GSM-7"`` or ``"UCS-2"``, length, segments)
    """
    if is_gsm7(text):
        length = len(text) + sum(char in GSM7_EXTENDED for char in text)
        return "GSM-7", length, 1 if length <= 160 else math.ceil(length / 153)
    length = len(text.encode("utf-16-le")) // 2
    return "UCS-2", length, 1 if length <= 70 else math.ceil(length / 67)


class CollectionChannelSms(models.AbstractModel):
    """SMS: the step's SMS template queued to the customer's mobile number.

    A batch works as the SMS composer's mass mode: the template is rendered
    once, the SMS are created in the queue in one go, and each invoice gets a
    note with the text. Odoo's SMS queue sends them after the run commits.
    """

    _name = "collection.channel.sms"
    _inherit = "collection.channel"
    _description = "Collection Channel: SMS"
    _digest = True

    @api.model
    def _get_step_defaults(self):
        template = self.env.ref(
            "collection_ruler.sms_template_collection_overdue",
            raise_if_not_found=False,
        )
        return {"sms_template_id": template.id} if template else {}

    @api.model
    def _get_length_info(self, step):
        """How the SMS of ``step`` is billed, as the latest posted invoice
        would get it, its pay link shortened: a line for the step form."""
        if not step.sms_template_id:
            return False
        # An invoice that has its portal token: rendering gives it none.
        sample = self.env["account.move"].search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("access_token", "!=", False),
                ("company_id", "=", (step.company_id or self.env.company).id),
            ],
            order="id desc",
            limit=1,
        )
        if not sample:
            return self.env._("Shown once an invoice has been sent to a customer.")
        text = self._preview_text(step, sample)
        encoding, length, segments = sms_segments(text)
        if segments == 1:
            return self.env._(
                "1 segment: %(length)s characters in %(encoding)s, for %(invoice)s",
                length=length,
                encoding=encoding,
                invoice=sample.name,
            )
        return self.env._(
            "%(segments)s segments: %(length)s characters in %(encoding)s, "
            "for %(invoice)s",
            segments=segments,
            length=length,
            encoding=encoding,
            invoice=sample.name,
        )

    @api.model
    def _get_message_texts(self, step):
        return [
            (template.display_name, [template.body])
            for template in step.sms_template_id | step.sms_template_individual_id
        ]

    @api.model
    def _can_digest(self, event):
        template = event.step_id._get_template("sms", event.move_id)
        return "collection_digest" in (template.body or "")

    @api.model
    def _check_step(self, step):
        if not step.sms_template_id:
            return [
                self.env._(
                    "Step %(name)s sends an SMS: choose its SMS template.",
                    name=step.name,
                )
            ]
        return []

    @api.model
    def _get_numbers(self, events):
        """The E.164 mobile number of each event's customer.

        The number is read with the customer's country, then the company's,
        through ``phone_validation``'s ``_phone_format``.

        :return: dict {event id: (raw number, E.164 number or False)}
        """
        result = {}
        for event in events:
            partner = event.move_id.partner_id
            raw = partner.mobile or partner.phone
            country = partner.country_id or event.company_id.country_id
            sanitized = raw and partner._phone_format(number=raw, country=country)
            result[event.id] = (raw, sanitized)
        return result

    @api.model
    def _get_unreachable_reasons(self, events):
        reasons = {}
        numbers = self._get_numbers(events)
        sanitized = [number for _raw, number in numbers.values() if number]
        blacklisted = set()
        if sanitized:
            blacklisted = set(
                self.env["phone.blacklist"]
                .sudo()
                .search([("number", "in", sanitized)])
                .mapped("number")
            )
        for event in events:
            partner = event.move_id.partner_id
            raw, number = numbers[event.id]
            if not partner.active:
                reasons[event.id] = self.env._(
                    "%(customer)s is archived.", customer=partner.display_name
                )
            elif not raw:
                reasons[event.id] = self.env._(
                    "%(customer)s has no mobile number.",
                    customer=partner.display_name,
                )
            elif not number:
                reasons[event.id] = self.env._(
                    "The number %(number)s of %(customer)s is not a valid phone "
                    "number.",
                    number=raw,
                    customer=partner.display_name,
                )
            elif number in blacklisted:
                reasons[event.id] = self.env._(
                    "The number %(number)s of %(customer)s is on the SMS blacklist.",
                    number=number,
                    customer=partner.display_name,
                )
        return reasons

    @api.model
    def _get_evidence(self, events):
        return {
            event.id: {"recipient": event.sms_number, "content": event.sms_id.body}
            for event in events.sudo()
            if event.sms_id
        }

    @api.model
    def _execute_batch(self, events, deadline=None):
        outcomes, events = self._split_unreachable(events)
        numbers = self._get_numbers(events)
        self.env["collection.channel.email"]._ensure_access_tokens(events.move_id)
        sms_values, bodies, sent = [], {}, self.env["collection.ruler.event"]
        for step in events.step_id:
            step_events = events.filtered(lambda e, step=step: e.step_id == step)
            texts = self._render_texts(step, step_events.move_id)
            for event in step_events:
                text = texts.get(event.move_id.id)
                if not text or not text.strip():
                    outcomes[event.id] = Outcome.failed(
                        self.env._(
                            "The SMS template of step %(step)s rendered an empty "
                            "text.",
                            step=step.name,
                        )
                    )
                    continue
                sms_values.append(
                    {
                        "body": text,
                        "number": numbers[event.id][1],
                        "partner_id": event.move_id.partner_id.id,
                        "state": "outgoing",
                        "uuid": uuid4().hex,
                    }
                )
                bodies[event.move_id.id] = sms_content_to_rendered_html(text)
                sent |= event
        if not sent:
            return outcomes
        # Not ``sms.composer``'s mass mode (``_action_send_sms_mass``), which
        # gives another result: it cancels as duplicates the SMS of one
        # number after the first (a customer's invoices not digested), links
        # no SMS to its chatter message and creates no notification or
        # ``sms.tracker``, so no delivery report would reach the event, and
        # it renders the template itself, without the shortened links, the
        # creditor line and GSM-7 of ``_render_texts``. Measured on the same
        # invoices, queries counted to the flush: the composer's mass path
        # takes 22 queries for 10 or for 100 invoices, the lines below 10.
        # The chatter messages first, so that each SMS is created linked to
        # its own, as ``_notify_thread_by_sms`` does: the queue's status
        # updates then refresh that message's SMS icon.
        messages = sent.move_id._message_log_batch(bodies=bodies, message_type="sms")
        message_by_move = {message.res_id: message for message in messages}
        for values, event in zip(sms_values, sent, strict=True):
            values["mail_message_id"] = message_by_move[event.move_id.id].id
        # ``outgoing``: Odoo's SMS queue sends them once this run has
        # committed, never from inside a batch that could still roll back.
        sms_records = self.env["sms.sms"].sudo().create(sms_values)
        self._track(sms_records)
        for event, sms in zip(sent, sms_records, strict=True):
            outcomes[event.id] = Outcome.done(
                {
                    "message_id": message_by_move[event.move_id.id].id,
                    "sms_id": sms.id,
                    "sms_number": sms.number,
                    "delivery_state": "queued",
                }
            )
        return outcomes

    @api.model
    def _track(self, sms_records):
        """Give each SMS the notification and tracker Odoo's SMS plumbing
        updates, as ``_notify_thread_by_sms`` does: the service's sent and
        delivery reports then reach the event (``collection_ruler_delivery.py``)
        and the SMS's chatter message (``sms.sms.mail_message_id``)."""
        notifications = (
            self.env["mail.notification"]
            .sudo()
            .create(
                [
                    {
                        "author_id": sms.mail_message_id.author_id.id,
                        "mail_message_id": sms.mail_message_id.id,
                        "res_partner_id": sms.partner_id.id,
                        "notification_type": "sms",
                        "sms_id_int": sms.id,
                        "sms_number": sms.number,
                        "notification_status": "ready",
                        "is_read": True,
                    }
                    for sms in sms_records
                ]
            )
        )
        self.env["sms.tracker"].sudo().create(
            [
                {"sms_uuid": sms.uuid, "mail_notification_id": notification.id}
                for sms, notification in zip(sms_records, notifications, strict=True)
            ]
        )

    @api.model
    def _render_texts(self, step, moves):
        """The SMS of ``step`` for ``moves``, ready to send: their links
        shortened through Odoo's link tracker, and, unless the step keeps
        accents, written in the GSM-7 alphabet.

        :return: dict {move id: text}
        """
        texts = {}
        by_template = moves.grouped(lambda m: step._get_template("sms", m))
        for template, group in by_template.items():
            texts.update(template._render_field("body", group.ids, compute_lang=True))
        texts = self._shorten_links(self._add_creditor(texts, moves))
        convert = to_gsm7 if step.sms_gsm7 else (lambda text: text.translate(SPACES))
        return {move_id: convert(text or "") for move_id, text in texts.items()}

    @api.model
    def _add_creditor(self, texts, moves):
        """``texts`` with the creditor's name, tax id and address added to
        those that do not name the company (CDC art. 42-A).

        :param dict texts: {move id: text}
        :return: dict {move id: text}
        """
        for move in moves:
            text = texts.get(move.id)
            company = move.company_id.with_context(lang=move.partner_id.lang)
            if text and text.strip() and not company._collection_is_named_in(text):
                texts[move.id] = (
                    f"{text.rstrip()} {company._collection_get_creditor_line()}"
                )
        return texts

    @api.model
    def _shorten_links(self, texts):
        """Replace the links of ``texts`` by short ones, for the whole batch
        at once.

        :param dict texts: {key: text}
        :return: dict {key: text}
        """
        short_prefix = self.get_base_url() + "/r/"
        short = self.env["account.move"]._collection_shorten_urls(
            url
            for text in texts.values()
            for url in re.findall(TEXT_URL_REGEX, text or "")
            if not url.startswith(short_prefix)
        )
        if not short:
            return texts
        pattern = re.compile(TEXT_URL_REGEX)
        return {
            key: text and pattern.sub(lambda m: short.get(m[0], m[0]), text)
            for key, text in texts.items()
        }

    @api.model
    def _preview_text(self, step, move):
        """The SMS of ``step`` for ``move`` as it would be sent, its links
        replaced by a short link of the usual length, creating nothing."""
        texts = step.sms_template_id._render_field("body", move.ids, compute_lang=True)
        text = self._add_creditor(texts, move)[move.id] or ""
        text = re.sub(TEXT_URL_REGEX, self.get_base_url() + "/r/AbC1", text)
        return to_gsm7(text) if step.sms_gsm7 else text.translate(SPACES)
