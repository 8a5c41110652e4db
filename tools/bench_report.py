"""What ``tools/benchmark.py`` prints: one line per measure, a Markdown table."""

from dataclasses import dataclass, field

LABELS = {
    "email": "email step (rendered, posted, mail queued)",
    "floor": "mass-mail composer, same template and invoices (the floor)",
    "floor_tokens": "the same, the invoices holding a portal token already",
    "ratio": "email step ÷ floor",
    "ratio_tokens": "email step ÷ floor with portal tokens",
    "guards": "email step with every guard on, five invoices per customer (digests)",
    "sms": "SMS step (rendered, posted, SMS queued)",
    "call": "call step (activity scheduled)",
    "letter": "letter step (debit notice PDF by wkhtmltopdf, emailed)",
    "catch_up": "catch-up: 5 steps due per invoice, the last sent",
    "idle": "nothing due",
    "backfill": "day one: every open invoice given its schedule (per invoice)",
    "preview": "Collection Preview of the next 7 days (per line listed)",
}
ORDER = list(LABELS)


@dataclass
class Row:
    size: int
    run: str
    events: int = 0
    seconds: float = 0.0
    queries: int = 0
    note: str = ""
    error: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ms(self):
        return 1000 * self.seconds / self.events if self.events else 0.0

    @property
    def per_event(self):
        return self.queries / self.events if self.events else 0.0


def print_row(row):
    if row.error:
        print(f"  {LABELS[row.run]}: ERROR {row.error}", flush=True)
        return
    if row.run == "idle":
        figures = f"{1000 * row.seconds:.1f} ms, {row.queries} queries"
    else:
        figures = (
            f"{row.events} events, {row.seconds:.2f} s, {row.ms:,.1f} ms and "
            f"{row.per_event:.2f} queries per event"
        )
    print(f"  {row.run:>12}: {figures}", flush=True)
    if row.note:
        print(f"                {row.note}", flush=True)
    for query in row.extra.get("queries", []):
        print(f"                  {query[:150]}", flush=True)
    others = row.extra.get("other cursors")
    if others:
        print(f"                plus {others} queries on other cursors", flush=True)


def _ratio_rows(rows):
    result = []
    by_key = {(r.size, r.run): r for r in rows if not r.error}
    for size in sorted({r.size for r in rows}):
        email = by_key.get((size, "email"))
        for floor_run in ("floor", "floor_tokens"):
            ratio_run = floor_run.replace("floor", "ratio")
            floor = by_key.get((size, floor_run))
            if email and floor and floor.ms and floor.per_event:
                ratio = Row(size, ratio_run)
                ratio.extra = {
                    "time": email.ms / floor.ms,
                    "queries": email.per_event / floor.per_event,
                }
                result.append(ratio)
    return result


def markdown(rows):
    lines = [
        "| run | open invoices | events | time | per event | queries per event |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    rows = rows + _ratio_rows(rows)
    for row in sorted(rows, key=lambda r: (ORDER.index(r.run), r.size)):
        cells = [LABELS[row.run], f"{row.size:,}"]
        if row.error:
            cells += ["error", "", "", ""]
        elif row.run.startswith("ratio"):
            time_ratio = f"×{row.extra['time']:.1f}"
            cells += ["", "", time_ratio, f"×{row.extra['queries']:.1f}"]
        elif row.run == "idle":
            cells += ["0", f"{1000 * row.seconds:.1f} ms", "—", f"{row.queries} in all"]
        else:
            cells += [
                f"{row.events:,}",
                f"{row.seconds:.1f} s",
                f"{row.ms:,.1f} ms",
                f"{row.per_event:.2f}",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
