"""Make the demo company Brazilian, for ``tools/dev.sh demo``.

Run through ``odoo shell`` (``env`` is given) with DEMO_STAGE set:

- ``company``, before accounting is installed: the creditor's name, CNPJ,
  address, phone, country and A4 paper, so that Odoo installs Brazil's chart
  of accounts and its real currency, BRL;
- ``payment``, after the install: a bank account with a Pix key and Odoo's
  demo payment provider in test mode, so that the pay link leads to a
  payment and the messages carry a Pix code; and the collection run's
  scheduled action put off until the first hour of tomorrow in the company's
  time zone (the invoices that predate the module scheduled now, as its
  first call would), so that the demo's first run is the visitor's Run Now,
  not one the server made before anyone logged in.
"""

import os
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

env = globals()["env"]  # noqa: F821 (given by odoo shell)
stage = os.environ["DEMO_STAGE"]
company = env.ref("base.main_company")

if stage == "company":
    company.write(
        {
            "name": "Distribuidora Boa Safra Ltda",
            "vat": "11.222.333/0001-81",
            "street": "Avenida Paulista, 1000",
            "city": "São Paulo",
            "zip": "01310-100",
            "country_id": env.ref("base.br").id,
            "state_id": env.ref("base.state_br_sp").id,
            "phone": "+55 11 3000-0000",
            "email": "cobranca@boasafra.example.com",
            "website": "https://boasafra.example.com",
            "currency_id": env.ref("base.BRL").id,
            "paperformat_id": env.ref("base.paperformat_euro").id,
        }
    )
    company.partner_id.lang = "pt_BR"
    company.partner_id.tz = "America/Sao_Paulo"
elif stage == "payment":
    bank = env["res.partner.bank"].create(
        {
            "acc_number": "12345-6",
            "partner_id": company.partner_id.id,
            "bank_id": env["res.bank"]
            .create({"name": "Banco Demo", "bic": "BDEMOBR"})
            .id,
            "proxy_type": "br_random",
            "proxy_value": "71d6c6e1-64ea-4a11-9560-a10870c40ca2",
            "allow_out_payment": True,
        }
    )
    journal = env["account.journal"].search(
        [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
    )
    journal.bank_account_id = bank
    provider = env.ref("payment.payment_provider_demo")
    provider.write({"state": "test", "is_published": True})
    env["ir.config_parameter"].set_param("account_payment.enable_portal_payment", True)
    # The install asked the scheduled action to run at once, to schedule the
    # invoices that predate the module (Odoo's own demo invoices): they get
    # their schedule now, and the action waits for tomorrow, so that the
    # first run, of today's steps, is the visitor's Run Now.
    backfill = env["collection.ruler.backfill"]
    backfill._apply(backfill._select(1000, 0))
    backfill._clear()
    cron = env.ref("collection_ruler.ir_cron_collection_ruler_run")
    env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]).unlink()
    tz = ZoneInfo(company.partner_id.tz or "UTC")
    tomorrow = company._collection_get_today() + timedelta(days=1)
    first_hour = datetime.combine(tomorrow, time(0), tzinfo=tz)
    cron.nextcall = first_hour.astimezone(timezone.utc).replace(tzinfo=None)
else:
    raise SystemExit(f"unknown DEMO_STAGE {stage!r}")
env.cr.commit()
print(f"demo: {stage} set up")
