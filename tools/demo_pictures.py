"""Pictures of what a demo customer receives, for the README.

Run through ``odoo shell`` on the demo database after a collection run
(``env`` is given): the latest collection email, as the customer's mail
client shows it, the reminders of the demo customer with two invoices due
the same day, sent as one digest listing both, and the SMS step's text for a demo
invoice, as a phone shows it, are written as HTML then turned into PNG with
``wkhtmltoimage`` (shipped with wkhtmltopdf). OUT names the folder of the
pictures.
"""

import contextlib
import html
import os
import subprocess
import tempfile

from PIL import Image

env = globals()["env"]  # noqa: F821 (given by odoo shell)
out = os.environ["OUT"]

# The latest mail of an email step (not a letter's, nor a notification).
emailed = env["collection.ruler.event"].search(
    [("channel", "=", "email"), ("state", "=", "done"), ("message_id", "!=", False)]
)
mail = env["mail.mail"].search(
    [("mail_message_id", "in", emailed.message_id.ids)], order="id desc", limit=1
)
# The SMS step's text for a demo invoice, as the channel sends it: its link
# shortened and written in the GSM-7 alphabet.
step = env.ref("collection_ruler.collection_ruler_step_sms")
move = env.ref("collection_ruler.demo_invoice_late_3")
sms_text = env["collection.channel.sms"]._render_texts(step, move)[move.id]
number = move.partner_id.mobile
# One digest: the reminders of the demo customer with two invoices due the
# same day, sent through the email channel as a run sends them, in a
# savepoint rolled back: one mail listing both invoices.
Move = env["account.move"]
groups = Move.search(
    [
        ("move_type", "=", "out_invoice"),
        ("state", "=", "posted"),
        ("payment_state", "in", ("not_paid", "partial")),
        ("company_id", "=", move.company_id.id),
    ]
).grouped(lambda m: (m.partner_id, m.invoice_date_due))
invoices = max(groups.values(), key=len)
events = env["collection.ruler.event"].search(
    [
        ("move_id", "in", invoices.ids),
        (
            "step_id",
            "=",
            env.ref("collection_ruler.collection_ruler_step_before_due").id,
        ),
    ]
)
company = move.company_id
last_mail = env["mail.mail"].search([], order="id desc", limit=1).id
with contextlib.closing(env.cr.savepoint()):
    env["collection.ruler.digest"].with_company(company)._execute(
        env["collection.channel.email"].with_company(company),
        events.with_company(company),
    )
    sent = env["mail.mail"].search([("id", ">", last_mail)])
    digest = sent.read(["email_from", "subject", "body_html"])[0] if sent else None
    print(f"digest: {len(events)} events, {len(sent)} mail")
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
        if digest
        else ""
    ),
    "customer_sms.png": (
        "<div style='font-family: sans-serif; width: 360px; padding: 16px;'>"
        "<div style='background: #e9e9eb; border-radius: 18px; padding: 12px 16px;"
        f" font-size: 15px; line-height: 1.4;'>{html.escape(sms_text)}</div>"
        f"<p style='color: #888; font-size: 12px;'>{html.escape(number or '')}</p>"
        "</div>"
    ),
}
if not mail:
    print("no email step has run yet: customer_email.png is left as it is")
    del pages["customer_email.png"]
if not digest:
    print("no customer has two reminders due: customer_digest_email.png is left")
    del pages["customer_digest_email.png"]
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
    # wkhtmltoimage writes uncompressed pixels: a 256-colour palette is a
    # tenth of the size and looks the same for text.
    picture = Image.open(f"{out}/{name}")
    picture.convert("RGB").quantize(256).save(f"{out}/{name}", optimize=True)
    print(f"picture: {out}/{name}")
