"""The contract every collection channel fulfils.

A channel is an abstract model named ``collection.channel.<code>``, where
``<code>`` is a value of the step's ``channel`` selection. The engine
(``collection.ruler.run``) finds it by that name and never tests a channel
code itself. A channel says:

- which step settings it needs (``_check_step``), which defaults a new
  step of that channel gets (``_get_step_defaults``; a step changed to the
  channel gets them in place of the previous channel's), and what looks
  wrong in a step though it can run (``_get_step_warning``);
- whether each customer can be reached on it, and why not
  (``_get_unreachable_reasons``);
- how to run a batch of its events (``_execute_batch``), returning an
  ``Outcome`` per event, and which of them an earlier message already
  carried out (``_split_covered``);
- the texts a step says to the debtor (``_get_message_texts``), which the
  forbidden-wording check reads for every channel;
- its traits, as data (``_get_traits``), among them whether a step may be
  another's fallback (``_may_be_fallback``); whether a step serves as the
  debit notice (``_get_serves_as_debit_notice``); whose contact hours its
  events keep (``_get_contact_hours_channel``);
- which delivery statuses prove that a notice reached the debtor
  (``_get_proof_states``, ``_is_emailed``), and how a provider's status reads
  as a delivery status (``_get_delivery_state``);
- what to do when an invoice stops being collected (``_on_collection_stopped``).

Adding a channel means one file with a model inheriting ``collection.channel``,
a ``selection_add`` on ``collection.ruler.step.channel``, and view ``xpath``
into the named groups of the step and event forms.
"""

import json
import logging
import re
import threading

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools.mail import html2plaintext

_logger = logging.getLogger(__name__)

# A reason shown on an event and in the chatter is one line of at most this
# many characters; the server log keeps the full detail.
MAX_REASON_LENGTH = 300


class CollectionTransientError(Exception):
    """A failure worth retrying later: a timeout, a provider's 429 or 5xx."""


class Outcome:
    """What a channel did with one event.

    ``kind`` is one of ``done``, ``failed``, ``transient``, ``deferred`` and
    ``waiting``.
    A failed outcome with ``fallback`` set means the customer cannot be
    reached on the channel: the step's fallback, if it has one, runs instead.
    """

    __slots__ = ("kind", "values", "reason", "date", "note", "fallback")

    def __init__(
        self, kind, values=None, reason=None, date=None, note=None, fallback=False
    ):
        self.kind = kind
        self.values = values or {}
        self.reason = reason
        self.date = date
        self.note = note
        self.fallback = fallback

    def __repr__(self):
        return f"Outcome({self.kind!r}, reason={self.reason!r})"

    @classmethod
    def done(cls, values=None, note=None):
        """The event ran: ``values`` are written on it, ``note`` is logged on
        the invoice's chatter (a channel that posts its own message leaves it
        empty)."""
        return cls("done", values=values, note=note)

    @classmethod
    def failed(cls, reason):
        """The event cannot run: it stays failed until someone retries it."""
        return cls("failed", reason=reason)

    @classmethod
    def unreachable(cls, reason):
        """The customer cannot be reached on this channel (no valid contact,
        opted out): the event falls back when its step says so, and fails
        otherwise."""
        return cls("failed", reason=reason, fallback=True)

    @classmethod
    def transient(cls, reason):
        """The event failed for a passing cause: the engine retries it later."""
        return cls("transient", reason=reason)

    @classmethod
    def deferred(cls, date, reason):
        """A legal guard postpones the event until ``date``."""
        return cls("deferred", reason=reason, date=date)

    @classmethod
    def waiting(cls, at, reason):
        """The contact hours open later the same day, at ``at`` (UTC): the
        event stays due, with no note, and runs from then on."""
        return cls("waiting", reason=reason, date=at)


def one_line(text):
    """Reduce a message to one plain line a person can read."""
    if isinstance(text, Markup) or "<" in (text or ""):
        text = html2plaintext(text or "")
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    line = re.sub(r"\s+", " ", lines[0]) if lines else ""
    if len(line) > MAX_REASON_LENGTH:
        line = line[: MAX_REASON_LENGTH - 1].rstrip() + "…"
    return line


def root_cause(error):
    """The innermost exception behind ``error``: what actually went wrong.

    Rendering errors come wrapped (a UserError raised from a QWebException
    raised from, say, an AttributeError).
    """
    seen = {id(error)}
    while True:
        inner = getattr(error, "error", None)
        if not isinstance(inner, BaseException):
            inner = error.__cause__ or error.__context__
        if inner is None or id(inner) in seen:
            return error
        seen.add(id(inner))
        error = inner


def testing():
    """Whether this runs in Odoo's tests, which roll their transaction back:
    the engine and the queues then never commit."""
    return getattr(threading.current_thread(), "testing", False)


def clock(env):
    """The engine's clock: the simulated time of a Preview (``collection_now``
    in the context), else the real time. UTC and naive, as
    ``fields.Datetime.now()``."""
    return env.context.get("collection_now") or fields.Datetime.now()


def channel_selection(records):
    """The step's channels, as a ``Selection`` field of another model lists
    them (channels added by other modules included)."""
    step_channel = records.env["collection.ruler.step"]._fields["channel"]
    return step_channel._description_selection(records.env)


def dry_run(env):
    """Whether the engine runs for a Preview (``collection_preview`` in the
    context): channels then send nothing, and nothing is committed."""
    return bool(env.context.get("collection_preview"))


def is_concurrency_error(error):
    """Whether ``error`` is a database concurrency error Odoo retries."""
    return isinstance(error, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY)


def is_transient_error(error):
    """Whether ``error`` is a passing failure worth retrying later."""
    return isinstance(error, CollectionTransientError | TimeoutError)


class CollectionChannel(models.AbstractModel):
    """The base of every channel: the contract and its defaults."""

    _name = "collection.channel"
    _description = "Collection Channel"

    # === Traits, as data === #
    # A late run still carries the step out instead of skipping it.
    _never_skipped = False
    # A late run sends this step instead of the latest due reminder: the
    # steps after it refer to it (a debit notice before the letters).
    _sent_alone_when_late = False
    # The step has legal consequences (a notice, a registration).
    _legal_weight = False
    # The step needs a contact detail of the customer (an address, a number).
    _needs_contact = True
    # The step counts as a contact with the customer.
    _counts_as_contact = True
    # Several invoices of one customer due the same day share one message
    # (collection_ruler_digest.py).
    _digest = False
    # The codes of the providers (collection.provider) the channel sends
    # through; empty when it needs none.
    _provider_codes = ()
    # A step of the channel may stand in for another whose customer cannot be
    # reached (collection.ruler.fallback).
    _may_be_fallback = True
    # The delivery statuses that prove an electronic notice reached the
    # debtor (collection.notice.proof).
    _proof_states = ("delivered", "read", "answered")

    @api.model
    def _get_code(self):
        """This channel's code, the value of the step's ``channel``."""
        return self._name.removeprefix("collection.channel.")

    @api.model
    def _get_traits(self, step):
        """The traits of ``step`` on this channel.

        :param step: collection.ruler.step record of this channel
        :return: dict with never_skipped, sent_alone_when_late, legal_weight,
            needs_contact and counts_as_contact
        """
        return {
            "never_skipped": self._never_skipped,
            "sent_alone_when_late": self._sent_alone_when_late,
            "legal_weight": self._legal_weight,
            "needs_contact": self._needs_contact,
            "counts_as_contact": self._counts_as_contact,
        }

    @api.model
    def _can_digest(self, event):
        """Whether ``event`` may share one message with the customer's other
        invoices: the channel digests, and so does the step's template."""
        return self._digest

    @api.model
    def _get_digest_key(self, event):
        """What the events of one digest message share besides their customer
        (a letter type, for example). :return: a hashable value"""
        return None

    @api.model
    def _get_step_defaults(self):
        """Values a new step of this channel gets when it leaves them empty.

        :return: dict of step values
        """
        return {}

    @api.model
    def _check_step(self, step):
        """Say what is missing for ``step`` to run on this channel.

        :param step: collection.ruler.step record of this channel
        :return: list of translated error messages, empty when it can run
        """
        return []

    @api.model
    def _get_step_warning(self, step):
        """Say what looks wrong in ``step``'s settings though it can run (a
        template meant for another channel, for example), for the step form.

        :param step: collection.ruler.step record of this channel
        :return: a translated one-line warning, or False
        """
        return False

    @api.model
    def _get_message_texts(self, step):
        """The texts ``step`` says to the debtor on this channel (its
        templates, a script), which the forbidden-wording check reads.

        :param step: collection.ruler.step record of this channel
        :return: list of (name of the template or script, list of texts)
        """
        return []

    @api.model
    def _get_length_info(self, step):
        """How the length of ``step``'s message is billed (SMS segments), as a
        line for the step form. :return: a translated line, or False"""
        return False

    @api.model
    def _get_bureau(self, step):
        """The credit bureau ``step`` registers the debtor with.

        :return: a value of the step's ``bureau``, or False
        """
        return False

    @api.model
    def _prints_letters(self, step):
        """Whether ``step`` sends a letter (printed, or emailed as a PDF)."""
        return False

    @api.model
    def _get_serves_as_debit_notice(self, step):
        """Whether ``step`` serves as the debit notice whatever the user says
        (a debit-notice letter always does, a call never).

        :param step: collection.ruler.step record of this channel
        :return: True or False, or None to leave it to the user
        """
        return None

    @api.model
    def _get_contact_hours_channel(self, event):
        """The channel whose contact hours ``event`` keeps
        (collection.contact.window): its own by default; a channel with no
        hours of its own keeps the default hours, never none.

        :param event: collection.ruler.event record of this channel
        :return: a channel code, or False when the event contacts nobody at
            that moment (a registration, a letter to post)
        """
        return self._get_code()

    @api.model
    def _is_emailed(self, event):
        """Whether ``event`` reached the debtor by email, whose bounces and
        queue decide its proof of notice."""
        return False

    @api.model
    def _get_proof_states(self, event):
        """The delivery statuses that prove ``event``'s notice reached the
        debtor (collection.notice.proof); a bounce disproves an email.

        :param event: collection.ruler.event record of this channel
        :return: tuple of ``delivery_state`` values
        """
        return self._proof_states

    @api.model
    def _get_delivery_state(self, event, status):
        """How a provider message's ``status`` reads as ``event``'s delivery
        status (a delivered call was answered, for example).

        :param event: collection.ruler.event record of this channel
        :param str status: a collection.provider.message state
        :return: a ``delivery_state`` value
        """
        return status

    @api.model
    def _get_unreachable_reasons(self, events):
        """Say which customers of ``events`` cannot be reached, and why.

        :param events: collection.ruler.event records of this channel
        :return: dict {event id: translated one-line reason}
        """
        return {}

    @api.model
    def _split_covered(self, events):
        """Set apart the events that an earlier message of this channel already
        carried out (a letter that claimed the invoice and whose deadline still
        runs): they are done without sending anything.

        :param events: collection.ruler.event records of this channel, in one
            company, all due and collectible
        :return: ({event id: done Outcome}, the other events)
        """
        return {}, events

    @api.model
    def _execute_batch(self, events, deadline=None):
        """Run a batch of due events of this channel.

        Work on the whole batch: render once, create in bulk. An event left
        out of the result stays scheduled (for example when ``deadline`` has
        passed), and the next run takes it again.

        :param events: collection.ruler.event records of this channel, in one
            company, all due and collectible
        :param float deadline: a ``time.monotonic()`` value after which no
            further slow work should start, or None
        :return: dict {event id: Outcome}
        """
        raise NotImplementedError

    @api.model
    def _run_batch(self, events, deadline=None):
        """What the engine calls: ``_execute_batch``, or in a Preview
        (``dry_run``) ``_preview_batch``."""
        if dry_run(self.env):
            return self._preview_batch(events)
        return self._execute_batch(events, deadline)

    @api.model
    def _preview_batch(self, events):
        """What ``_execute_batch`` would do, doing nothing: each event would
        be done, but those whose customer cannot be reached, and all of them
        when the channel has no provider.

        :return: dict {event id: Outcome}
        """
        outcomes, events = self._split_unreachable(events)
        if events and self._provider_codes:
            if not self._get_provider(events.company_id[:1]):
                reason = self._get_no_provider_reason()
                return outcomes | {event.id: Outcome.failed(reason) for event in events}
        return outcomes | {event.id: Outcome.done() for event in events}

    @api.model
    def _get_provider(self, company):
        """The provider this channel sends through for ``company``: a
        collection.provider record, empty when it needs none or has none."""
        Provider = self.env["collection.provider"]
        if not self._provider_codes:
            return Provider
        return Provider._get_active(self._provider_codes, company)

    @api.model
    def _get_no_provider_reason(self):
        """Why nothing goes out when the channel has no provider."""
        return self.env._("No provider is enabled for this channel and company.")

    @api.model
    def _get_evidence(self, events):
        """What each done event sent, kept as evidence (collection_evidence.py).

        :param events: collection.ruler.event records of this channel, done
        :return: dict {event id: {recipient, content, and optionally subject,
            document (raw bytes), document_name}}; an event left out made no
            contact with the customer yet
        """
        if not self._provider_codes:
            return {}
        # What the provider is asked to send or say, as queued.
        return {
            event.id: {
                "recipient": event.provider_message_id.recipient,
                "content": json.dumps(
                    event.provider_message_id.payload,
                    ensure_ascii=False,
                    indent=1,
                    sort_keys=True,
                ),
            }
            for event in events.sudo()
            if event.provider_message_id
        }

    @api.model
    def _on_collection_stopped(self, events, reason):
        """React to invoices that stopped being collected (paid, excluded...).

        :param events: collection.ruler.event records of this channel of
            those invoices, whatever their state
        :param reason: why the invoices stopped, translated
        """
        return

    # === Helpers for channels === #

    @api.model
    def _get_failure_reason(self, error):
        """Turn an exception into a one-line reason, logging the detail.

        :param error: the exception raised while running an event
        :return: a translated one-line reason
        """
        if isinstance(error, UserError):
            return one_line(error.args[0] if error.args else str(error))
        _logger.info("Collection event failed", exc_info=error)
        return one_line(
            self.env._(
                "Unexpected error (%(type)s): %(error)s",
                type=type(error).__name__,
                error=str(error),
            )
        )

    @api.model
    def _split_unreachable(self, events):
        """Set apart the events whose customer cannot be reached on this
        channel: they fail, or fall back when their step says so.

        :return: ({event id: unreachable Outcome}, the reachable events)
        """
        outcomes = {
            event_id: Outcome.unreachable(reason)
            for event_id, reason in self._get_unreachable_reasons(events).items()
        }
        return outcomes, events.filtered(lambda e: e.id not in outcomes)

    @api.model
    def _run_each(self, events, function):
        """Run ``function`` on each event in a savepoint of its own.

        For channels whose work is one record at a time (a PDF, a
        registration): one failing event never stops the others.

        :param events: collection.ruler.event records
        :param function: called with one event, returns an Outcome
        :return: dict {event id: Outcome}
        """
        outcomes = {}
        for event in events:
            try:
                with self.env.cr.savepoint():
                    outcomes[event.id] = function(event)
            except Exception as error:
                if is_concurrency_error(error):
                    raise
                if is_transient_error(error):
                    outcomes[event.id] = Outcome.transient(one_line(str(error)))
                else:
                    outcomes[event.id] = Outcome.failed(self._get_failure_reason(error))
        return outcomes
