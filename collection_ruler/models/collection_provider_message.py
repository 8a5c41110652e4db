import logging
import uuid
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.provider_http import ProviderError, ProviderTransientError
from ..tools.status import status_rank
from .collection_channel import is_concurrency_error, one_line, testing

_logger = logging.getLogger(__name__)

# A message left "sending" this long ago was cut off by a crash, either
# before the request or before its answer was committed. Meta reports the
# status of a message it received within seconds, with its idempotency key:
# after this delay with no status, it never got it and the message is sent
# again, under the same key.
SENDING_GRACE = timedelta(hours=1)
# Transient failures: retried after 5 min, 10 min, 20 min..., then failed.
MAX_SEND_ATTEMPTS = 6
RETRY_DELAY = timedelta(minutes=5)
# The statuses a provider reports besides "failed", which comes from the
# service or from us; in the order of ``tools/status.py``, never going back.
PROVIDER_STATUSES = ("sent", "delivered", "read")


class CollectionProviderMessage(models.Model):
    """A message to a provider, sent exactly once, after the run commits.

    A channel queues messages in the run's transaction; a queue of their own
    sends them once that transaction has committed, as Odoo's mail and SMS
    queues do. Each message is committed as *sending* before its request and
    as *sent* after its answer, and carries an idempotency key the service
    echoes in its status webhooks. A crash before the request leaves it
    *sending*: after ``SENDING_GRACE`` with no status, it is sent again. A
    crash between the answer and the commit leaves it *sending* too, and the
    service's status, found by the key, marks it sent: it is never sent twice.
    """

    _name = "collection.provider.message"
    _description = "Collection Provider Message"
    _order = "id desc"
    _rec_name = "recipient"

    provider_id = fields.Many2one(
        comodel_name="collection.provider",
        required=True,
        ondelete="restrict",
        index=True,
    )
    company_id = fields.Many2one(
        related="provider_id.company_id", store=True, index=True
    )
    event_id = fields.Many2one(
        comodel_name="collection.ruler.event",
        ondelete="set null",
        index="btree_not_null",
    )
    partner_id = fields.Many2one(comodel_name="res.partner", ondelete="set null")
    recipient = fields.Char(required=True)
    payload = fields.Json()
    idempotency_key = fields.Char(
        required=True,
        copy=False,
        readonly=True,
        default=lambda self: uuid.uuid4().hex,
    )
    state = fields.Selection(
        selection=[
            ("queued", "Queued"),
            ("sending", "Sending"),
            ("sent", "Sent"),
            ("delivered", "Delivered"),
            ("read", "Read"),
            ("failed", "Failed"),
        ],
        required=True,
        default="queued",
        index=True,
    )
    provider_ref = fields.Char(
        string="Provider Reference", index="btree_not_null", copy=False
    )
    attempt_count = fields.Integer(default=0)
    next_attempt_at = fields.Datetime()
    sending_since = fields.Datetime()
    sent_at = fields.Datetime()
    delivered_at = fields.Datetime()
    read_at = fields.Datetime()
    failure_reason = fields.Char()

    _sql_constraints = [
        (
            "idempotency_key_unique",
            "UNIQUE(idempotency_key)",
            "A message's idempotency key is unique.",
        )
    ]

    # === Queueing === #

    @api.model_create_multi
    def create(self, vals_list):
        messages = super().create(vals_list)
        if messages.filtered(lambda m: m.state == "queued"):
            # A trigger is a row of this transaction: the queue runs only
            # once the run that queued the messages has committed.
            self.env.ref("collection_ruler.ir_cron_collection_provider_send")._trigger()
        return messages

    @api.model
    def _cron_send(self):
        """Entry point of the queue's scheduled action."""
        self._send_queue()

    @api.model
    def _send_queue(self, limit=200):
        """Send what is queued, or was cut off while sending, one by one.

        Each message is committed before and after its request, so that a
        crash at any point leaves it either unsent or known as sent.

        :return: the messages handled
        """
        self = self.sudo()  # the queue is the system's work, as the mail queue
        now = fields.Datetime.now()
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM collection_provider_message
                 WHERE (state = 'queued'
                        AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s))
                    OR (state = 'sending' AND sending_since <= %(stale)s)
                 ORDER BY id LIMIT %(limit)s
                """,
                now=now,
                stale=now - SENDING_GRACE,
                limit=limit,
            )
        )
        handled = self.browse()
        for (message_id,) in self.env.cr.fetchall():
            message = self.browse(message_id)._in_company_lang()
            if message._take(now):
                message._send_one()
                handled |= message
        return handled

    def _take(self, now):
        """Lock this message, mark it sending and commit, unless another
        worker has it or has sent it since it was selected."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE collection_provider_message
                   SET state = 'sending', sending_since = %(now)s,
                       attempt_count = attempt_count + 1
                 WHERE id = (SELECT id FROM collection_provider_message
                              WHERE id = %(id)s
                                AND (state = 'queued'
                                     OR (state = 'sending'
                                         AND sending_since <= %(stale)s))
                                FOR UPDATE SKIP LOCKED)
                RETURNING id
                """,
                now=now,
                stale=now - SENDING_GRACE,
                id=self.id,
            )
        )
        taken = bool(self.env.cr.fetchone())
        self.invalidate_recordset()
        if taken:
            self._commit()
        return taken

    def _send_one(self):
        """Call the provider and record its answer, then commit."""
        self.ensure_one()
        try:
            reference = self.provider_id._send(self)
        except ProviderTransientError as error:
            self._retry_later(one_line(str(error)))
        except ProviderError as error:
            self._fail(one_line(str(error)))
        except Exception as error:
            if is_concurrency_error(error):
                raise
            _logger.info(
                "Collection provider message %s failed", self.id, exc_info=True
            )
            self._fail(one_line(str(error)))
        else:
            values = {"provider_ref": reference, "failure_reason": False}
            if status_rank(self.state) < status_rank("sent"):
                values.update(state="sent", sent_at=fields.Datetime.now())
            self.write(values)
            if self.provider_id.state == "test":
                self._simulate_delivery()
        self._commit()

    def _retry_later(self, reason):
        if self.attempt_count >= MAX_SEND_ATTEMPTS:
            self._fail(
                self.env._(
                    "%(reason)s (gave up after %(count)s attempts)",
                    reason=reason,
                    count=self.attempt_count,
                )
            )
            return
        delay = RETRY_DELAY * 2 ** (self.attempt_count - 1)
        self.write(
            {
                "state": "queued",
                "next_attempt_at": fields.Datetime.now() + delay,
                "failure_reason": reason,
            }
        )

    def _fail(self, reason):
        """The provider refused the message for good: its event fails, or
        falls back when its step says so."""
        self.write({"state": "failed", "failure_reason": reason})
        events = self._get_collection_events()
        Fallback = self.env["collection.ruler.fallback"]
        for company, company_events in events.grouped("company_id").items():
            lang = company._collection_get_lang()
            Fallback.with_context(lang=lang)._fail_after_run(
                company_events.with_context(lang=lang),
                dict.fromkeys(company_events.ids, reason),
            )

    def _in_company_lang(self):
        """This message in its company's language, for the reasons and notes
        its statuses write (``res.company._collection_get_lang``)."""
        self.ensure_one()
        company = self.company_id or self.env.company
        return self.with_context(lang=company._collection_get_lang())

    def _get_collection_events(self):
        """The events these messages carried: one, or a digest's."""
        return (
            self.env["collection.ruler.event"]
            .sudo()
            .search([("provider_message_id", "in", self.ids)])
        )

    def _simulate_delivery(self):
        """Test mode: the message is delivered as soon as it is sent."""
        self._apply_status("delivered", fields.Datetime.now())

    def _commit(self):
        """Commit, so that a crash cannot undo what the provider was told
        (not in tests, which run in one transaction they roll back)."""
        if not testing():
            self.env.cr.commit()  # pylint: disable=invalid-commit

    # === Statuses === #

    @api.model
    def _find(self, provider, reference=None, key=None):
        """The message of ``provider`` a status is about, by the service's
        id or by the idempotency key it echoes."""
        domain = [("provider_id", "=", provider.id)]
        if key:
            return self.search(domain + [("idempotency_key", "=", key)], limit=1)
        if reference:
            return self.search(domain + [("provider_ref", "=", reference)], limit=1)
        return self.browse()

    def _apply_status(self, status, when, reference=None, reason=None):
        """Apply a status the service reported, in any order, idempotently.

        A status never goes back: a late *delivered* leaves a *read* message
        read. *Failed* applies unless the message was delivered or read.

        :param str status: sent, delivered, read or failed
        :param datetime when: when the service says it happened
        """
        for record in self:
            # What a failure writes (the event's reason, the chatter) is read
            # by the company's staff, whatever the webhook's language.
            message = record._in_company_lang()
            values = {}
            if reference and not message.provider_ref:
                values["provider_ref"] = reference
            rank = status_rank(message.state)
            if status == "failed":
                if message.state not in ("delivered", "read", "failed"):
                    # Through _fail, which fails the message's event too.
                    message._fail(one_line(reason or ""))
            elif status in PROVIDER_STATUSES:
                for name in PROVIDER_STATUSES:
                    # A read message was delivered and sent, even when those
                    # statuses are late or lost.
                    date = f"{name}_at"
                    if status_rank(name) <= status_rank(status) and not message[date]:
                        values[date] = when
                if status_rank(status) > rank:
                    values["state"] = status
            if values:
                message.write(values)

    # ----------------------------------------------------------------------
    # Delivery: a message's status on its collection events
    # ----------------------------------------------------------------------

    def write(self, vals):
        res = super().write(vals)
        Delivery = self.env["collection.ruler.delivery"]
        if "state" in vals and vals["state"] in ("sent", "delivered", "read"):
            # The events of a digest share their message.
            events = self._get_collection_events()
            for message in self:
                state = vals["state"]
                for event in events.filtered(
                    lambda e, m=message: e.provider_message_id == m
                ):
                    delivery = event.step_id._get_channel()._get_delivery_state(
                        event, state
                    )
                    Delivery._set_delivery(
                        event, delivery, message[f"{vals['state']}_at"] or None
                    )
        elif vals.get("state") == "failed":
            events = self._get_collection_events()
            # The event itself falls back or fails through ``_fail``.
            Delivery._set_delivery(events, "failed")
        return res
