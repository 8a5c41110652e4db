"""The data set of ``tools/benchmark.py``: customers, rulers and invoices.

Every measured run has a ruler of its own, so that a run over that ruler does
only that run's work, and a warm-up twin of it with a few invoices of its
own, run just before the measure so that the measure sees warm caches (as a
cron worker that has run before does). The invoices that are not due are
spread over the measured rulers: half of them fall due later, the other half
fell due in the past and their events are already done.
"""

import time
from datetime import timedelta

import phonenumbers

from odoo import Command, fields
from odoo.tools import split_every

DUE_TODAY_TEMPLATE = "collection_ruler.mail_template_collection_due_today"
SMS_TEMPLATE = "collection_ruler.sms_template_collection_overdue"
LETTER_TEMPLATE = "collection_ruler.mail_template_collection_letter"

# The steps of the measured rulers, with the offsets of the standard ruler.
CHANNEL_STEPS = {
    "email": [{"channel": "email", "offset_days": 0, "mail": DUE_TODAY_TEMPLATE}],
    "sms": [{"channel": "sms", "offset_days": 7, "sms": SMS_TEMPLATE}],
    "call": [{"channel": "call", "offset_days": 3}],
    "letter": [
        {
            "channel": "letter",
            "offset_days": 5,
            "letter_type": "debit_notice",
            "mail": LETTER_TEMPLATE,
        }
    ],
    # Weeks late, every step is due at once: the run skips the stale ones
    # and sends the last.
    "catch_up": [
        {"channel": "email", "offset_days": -3, "mail": DUE_TODAY_TEMPLATE},
        {"channel": "email", "offset_days": 0, "mail": DUE_TODAY_TEMPLATE},
        {"channel": "call", "offset_days": 3},
        {"channel": "sms", "offset_days": 7, "sms": SMS_TEMPLATE},
        {"channel": "email", "offset_days": 14, "mail": DUE_TODAY_TEMPLATE},
    ],
}
# Catch-up invoices fell due this many days ago, cycling: 15 to 42.
CATCH_UP_LATE = (15, 28)
# Invoices not due yet fall due this many days ahead, cycling: far enough for
# the earliest step (3 days before) to stay in the future if the run crosses
# midnight.
FUTURE_DAYS = (7, 60)
WARM_UP_INVOICES = {"letter": 1}
DEFAULT_WARM_UP = 5
CHUNK = 500
# Context of the bulk creation: no creation message or tracking values, which
# are not what the benchmark measures and would double the set-up time.
FAST_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
}
AREA_CODES = ("11", "21", "31", "41", "51", "61", "71", "81", "85", "92")


def company_today(env, company=None):
    """Today in the company's time zone, as the engine sees it."""
    company = company or env.company
    tz = company.partner_id.tz or "UTC"
    return fields.Date.context_today(env["res.partner"].with_context(tz=tz))


def max_offset(group):
    return max(step["offset_days"] for step in CHANNEL_STEPS[group])


def partner_values(index, country):
    individual = index % 3 != 0
    name = (
        f"Cliente Pessoa {index:04d} da Silva"
        if individual
        else f"Comercio Exemplo {index:04d} Ltda"
    )
    # +55 AA 9NNNN-NNNN: a mobile number in one of ten area codes.
    area = AREA_CODES[index % len(AREA_CODES)]
    mobile = f"+55 {area} 9{8000 + index % 2000:04d}-{(index * 7919) % 10000:04d}"
    if not phonenumbers.is_valid_number(phonenumbers.parse(mobile)):
        raise ValueError(f"not a valid Brazilian mobile number: {mobile}")
    return {
        "name": name,
        "is_company": not individual,
        "email": f"cliente{index:04d}@example.com",
        "mobile": mobile,
        "country_id": country.id,
        "city": "Sao Paulo",
    }


def _create_rulers(env, groups):
    """Create the measured rulers and their warm-up twins.

    :return: dict {group: ruler id} and {group: warm-up ruler id}
    """
    rulers, warm_up = {}, {}
    for group in groups:
        for target, suffix in ((rulers, ""), (warm_up, " (warm-up)")):
            steps = []
            for sequence, spec in enumerate(CHANNEL_STEPS[group], start=1):
                step = {
                    "name": f"{group} {spec['channel']} {spec['offset_days']:+d}",
                    "sequence": 10 * sequence,
                    "channel": spec["channel"],
                    "offset_days": spec["offset_days"],
                }
                if "mail" in spec:
                    step["mail_template_id"] = env.ref(spec["mail"]).id
                if "sms" in spec:
                    step["sms_template_id"] = env.ref(spec["sms"]).id
                if "letter_type" in spec:
                    step["letter_type"] = spec["letter_type"]
                steps.append(Command.create(step))
            target[group] = (
                env["collection.ruler"]
                .create({"name": f"Benchmark {group}{suffix}", "step_ids": steps})
                .id
            )
    return rulers, warm_up


class DataSet:
    """The benchmark's data, built once in a template database.

    :param dict due: invoices due per measured group (email, sms, ...)
    :param int partners: number of distinct customers
    """

    def __init__(self, due, partners):
        self.due = {group: count for group, count in due.items() if count}
        self.partner_count = partners
        self.groups = list(self.due)
        self.rulers = {}
        self.warm_up_rulers = {}
        self.due_moves = {}
        self.warm_up_moves = {}
        self.partner_ids = []
        self.invoices = 0
        self._background = 0

    @property
    def fixed(self):
        """Invoices that are due or warm up, whatever the size."""
        warm = sum(WARM_UP_INVOICES.get(g, DEFAULT_WARM_UP) for g in self.groups)
        return sum(self.due.values()) + warm

    def build(self, env, size, log):
        """Create the customers, rulers and invoices of the first template.

        :param int size: the open invoices to end with
        :param log: a print-like function for progress
        """
        company = env.company
        if "letter" in self.groups:
            # Letters print the creditor's CNPJ and address (art. 42-A).
            company.write(
                {
                    "vat": company.vat or "11.222.333/0001-81",
                    "street": company.street or "Avenida Paulista, 1000",
                }
            )
        country = env.ref("base.br")
        partners = env["res.partner"].create(
            [partner_values(i, country) for i in range(1, self.partner_count + 1)]
        )
        self.partner_ids = partners.ids
        self.rulers, self.warm_up_rulers = _create_rulers(env, self.groups)
        today = company_today(env)
        specs = []
        for group in self.groups:
            for target, ruler_ids, count in (
                (self.warm_up_moves, self.warm_up_rulers, None),
                (self.due_moves, self.rulers, self.due[group]),
            ):
                if count is None:
                    count = WARM_UP_INVOICES.get(group, DEFAULT_WARM_UP)
                target[group] = []
                for index in range(count):
                    if group == "catch_up":
                        late = CATCH_UP_LATE[0] + index % CATCH_UP_LATE[1]
                    else:
                        late = max_offset(group)
                    specs.append(
                        (target[group], ruler_ids[group], today - timedelta(late))
                    )
        self._create_invoices(env, specs, log, "due or warming up")
        self.grow(env, size, log)

    def grow(self, env, size, log):
        """Add invoices that are not due until there are ``size`` open ones."""
        if size < self.invoices:
            raise ValueError(f"cannot shrink {self.invoices} invoices to {size}")
        today = company_today(env)
        specs = []
        for _i in range(size - self.invoices):
            index = self._background
            self._background += 1
            group = self.groups[index % len(self.groups)]
            cycle = index // len(self.groups)
            ruler_id = self.rulers[group]
            if cycle % 2:
                # Fell due in the past; its events are marked done.
                late = max_offset(group) + 1 + (cycle // 2) % 60
                specs.append(("handled", ruler_id, today - timedelta(late)))
            else:
                ahead = FUTURE_DAYS[0] + (cycle // 2) % FUTURE_DAYS[1]
                specs.append((None, ruler_id, today + timedelta(ahead)))
        self._create_invoices(env, specs, log, "not due or handled")

    def _create_invoices(self, env, specs, log, label):
        """Create and post invoices in chunks, committing each.

        :param specs: (target, ruler id, due date) triples; target is a list
            to append the invoice id to, "handled", or None
        """
        Move = env["account.move"].with_context(**FAST_CONTEXT)
        admin = env.ref("base.user_admin")
        today = company_today(env)
        started = time.perf_counter()
        done = 0
        for chunk in split_every(CHUNK, specs):
            values = []
            for _target, ruler_id, due in chunk:
                number = self.invoices
                self.invoices += 1
                partner_id = self.partner_ids[number % len(self.partner_ids)]
                values.append(
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner_id,
                        "invoice_user_id": admin.id,
                        "collection_ruler_id": ruler_id,
                        "invoice_date": min(due - timedelta(days=30), today),
                        "invoice_date_due": due,
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "name": "Servicos de manutencao",
                                    "quantity": 1,
                                    "price_unit": 150.0 + (number * 37) % 4850,
                                }
                            )
                        ],
                    }
                )
            moves = Move.create(values)
            moves.action_post()
            handled = env["account.move"]
            for move, (target, _ruler, _due) in zip(moves, chunk, strict=True):
                if target == "handled":
                    handled |= move
                elif target is not None:
                    target.append(move.id)
            mark_done(env, [("move_id", "in", handled.ids)])
            env.cr.commit()
            env.invalidate_all()
            done += len(chunk)
            log(
                f"    {label}: posted {done}/{len(specs)} invoices "
                f"({time.perf_counter() - started:.0f} s)"
            )


def mark_done(env, domain):
    """Mark the scheduled events of ``domain`` done, as if a past run did them."""
    Event = env["collection.ruler.event"]
    events = Event.search([("state", "=", "scheduled"), *domain])
    events.write({"state": "done", "executed_at": fields.Datetime.now()})
    return len(events)
