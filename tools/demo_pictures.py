"""Pictures of what a demo customer receives, for the README.

Run through ``odoo shell`` on the demo database after a collection run
(``env`` is given): the latest collection email, as the customer's mail
client shows it, the reminder of the demo customer with two invoices due the
same day as one digest listing both, and the SMS step's text for a demo
invoice, as a phone shows it, are written as HTML then turned into PNG with
``wkhtmltoimage`` (shipped with wkhtmltopdf). OUT names the folder of the
pictures.
"""

import html
import os
import subprocess
import tempfile

env = globals()["env"]  # noqa: F821 (given by odoo shell)
out = os.environ["OUT"]

mail = env["mail.mail"].search(
    [("model", "=", "account.move"), ("subject", "not ilike", "carta")],
    order="id desc",
    limit=1,
)
# The SMS step's text for a demo invoice, as the channel sends it: its link
# shortened and written in the GSM-7 alphabet.
step = env.ref("collection_ruler.collection_ruler_step_sms")
move = env.ref("collection_ruler.demo_invoice_late_3")
sms_text = env["collection.channel.sms"]._render_texts(step, move)[move.id]
number = move.partner_id.mobile
# One digest: the reminder of the demo customer with two invoices due the
# same day, rendered as the email channel renders it when both reminders are
# due: one message listing both invoices.
Move = env["account.move"]
groups = Move.search(
    [
        ("move_type", "=", "out_invoice"),
        ("state", "=", "posted"),
        ("payment_state", "in", ("not_paid", "partial")),
        ("company_id", "=", move.company_id.id),
    ]
).grouped(lambda m: (m.partner_id, m.invoice_date_due))
invoices = max(groups.values(), key=len).sorted("id")
today = move._collection_get_today()
template = env.ref(
    "collection_ruler.mail_template_collection_before_due"
    if invoices[0].invoice_date_due > today
    else "collection_ruler.mail_template_collection_due_today"
).with_context(collection_digest=((invoices[0].id, tuple(invoices.ids)),))
digest = {
    name: template._render_field(name, invoices[0].ids, compute_lang=True)[
        invoices[0].id
    ]
    for name in ("email_from", "subject", "body_html")
}
pages = {
    "customer_email.png": (
        f"<p style='font-family: sans-serif; color: #555;'>"
        f"<b>From:</b> {html.escape(mail.email_from or '')}<br/>"
        f"<b>Subject:</b> {html.escape(mail.subject or '')}</p>{mail.body_html}"
    ),
    "customer_digest_email.png": (
        f"<p style='font-family: sans-serif; color: #555;'>"
        f"<b>From:</b> {html.escape(digest['email_from'] or '')}<br/>"
        f"<b>Subject:</b> {html.escape(digest['subject'] or '')}</p>"
        f"{digest['body_html']}"
    ),
    "customer_sms.png": (
        "<div style='font-family: sans-serif; width: 360px; padding: 16px;'>"
        "<div style='background: #e9e9eb; border-radius: 18px; padding: 12px 16px;"
        f" font-size: 15px; line-height: 1.4;'>{html.escape(sms_text)}</div>"
        f"<p style='color: #888; font-size: 12px;'>{html.escape(number or '')}</p>"
        "</div>"
    ),
}
for name, body in pages.items():
    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False) as page:
        page.write(
            f"<html><head><meta charset='utf-8'/></head><body>{body}</body></html>"
        )
    width = "640" if "email" in name else "400"
    subprocess.run(
        ["wkhtmltoimage", "--quiet", "--width", width, page.name, f"{out}/{name}"],
        check=True,
    )
    print(f"picture: {out}/{name}")
