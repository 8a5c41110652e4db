"""The WhatsApp step: templates synced from Meta, a message per event in the
customer's language, sent after the run through the provider's queue."""

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import CollectionRulerCommon, day
from .fake_servers import FakeServer, only_local_network

WAMID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjQ1"
BODY = "Olá, {{1}}. A fatura {{2}} de {{3}} venceu em {{4}}. Pague em {{5}}. {{6}}"


def _template(name, category="UTILITY", status="APPROVED", body=BODY):
    return {
        "name": name,
        "language": "pt_BR",
        "status": status,
        "category": category,
        "components": [{"type": "BODY", "text": body}],
        "id": f"id-{name}",
    }


@tagged("post_install", "-at_install")
class TestWhatsAppStep(CollectionRulerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_pt_br()
        cls.provider = cls.env["collection.provider"].create(
            {
                "name": "WhatsApp",
                "code": "whatsapp_cloud",
                "state": "enabled",
                "company_id": cls.company.id,
                "whatsapp_phone_number_id": "106540352242922",
                "whatsapp_account_id": "102290129340398",
                "whatsapp_access_token": "EAAtoken",
            }
        )
        cls.customer.write({"lang": "pt_BR", "collection_whatsapp_opt_in": True})
        cls.brl = cls.env.ref("base.BRL")
        cls.brl.active = True

    def setUp(self):
        super().setUp()
        self.server = self.enterContext(FakeServer())
        self.enterContext(only_local_network())
        self.env["ir.config_parameter"].sudo().set_param(
            "collection_ruler.whatsapp_cloud_url", self.server.url
        )

    def _sync(self):
        self.server.script(
            (
                200,
                {
                    "data": [
                        _template("fatura_vencida"),
                        _template("promo", "MARKETING"),
                    ],
                    "paging": {"cursors": {"after": "MQZDZD"}, "next": "more"},
                },
            ),
            (200, {"data": [_template("pendente", status="PENDING")], "paging": {}}),
        )
        self.provider.action_sync_templates()
        return self.provider.whatsapp_template_ids

    def _step(
        self,
        values=(
            "partner_name",
            "invoice_number",
            "amount_due",
            "due_date",
            "pay_link",
            "creditor",
        ),
    ):
        template = self.provider.whatsapp_template_ids.filtered(
            lambda t: t.name == "fatura_vencida"
        )
        ruler = self.env["collection.ruler"].create(
            {
                "name": "WhatsApp ruler",
                "step_ids": [
                    Command.create(
                        {
                            "name": "WhatsApp a week late",
                            "offset_days": 7,
                            "channel": "whatsapp",
                            "whatsapp_template_id": template.id,
                            "whatsapp_param_ids": [
                                Command.create({"sequence": i, "value": value})
                                for i, value in enumerate(values)
                            ],
                        }
                    )
                ],
            }
        )
        return ruler

    def test_templates_are_synced_page_by_page(self):
        templates = self._sync()
        self.assertEqual(
            sorted(templates.mapped("name")), ["fatura_vencida", "pendente", "promo"]
        )
        self.assertEqual(
            self.server.requests[1]["path"].split("?")[0],
            "/v21.0/102290129340398/message_templates",
        )
        self.assertIn("after=MQZDZD", self.server.requests[1]["path"])
        usable = templates.filtered("usable")
        self.assertEqual(
            usable.mapped("name"), ["fatura_vencida"], "approved utility only"
        )
        self.assertEqual(usable.variable_count, 6)
        # Meta deleted "promo" and approved "pendente".
        self.server.script(
            (200, {"data": [_template("fatura_vencida"), _template("pendente")]})
        )
        self.provider.action_sync_templates()
        self.assertEqual(
            sorted(
                self.provider.whatsapp_template_ids.filtered("usable").mapped("name")
            ),
            ["fatura_vencida", "pendente"],
        )
        self.assertNotIn("promo", self.provider.whatsapp_template_ids.mapped("name"))

    def test_a_step_needs_a_utility_template_and_a_value_per_variable(self):
        self._sync()
        with self.assertRaisesRegex(ValidationError, "has 6 variables"):
            self._step(values=("partner_name",))
        step = self._step().step_ids
        promo = self.provider.whatsapp_template_ids.filtered(
            lambda t: t.name == "promo"
        )
        with self.assertRaisesRegex(ValidationError, "of the utility category"):
            step.whatsapp_template_id = promo

    def test_choosing_a_template_numbers_its_variables_beside_its_text(self):
        self._sync()
        template = self.provider.whatsapp_template_ids.filtered(
            lambda t: t.name == "fatura_vencida"
        )
        short = template.copy(
            {"name": "lembrete_curto", "body": "Olá, {{1}}. Credor: {{2}}."}
        )
        ruler = self.env["collection.ruler"].create({"name": "WhatsApp ruler"})
        form = Form(
            self.env["collection.ruler.step"].with_context(default_ruler_id=ruler.id)
        )
        form.name = "WhatsApp a week late"
        form.offset_days = 7
        form.channel = "whatsapp"
        form.whatsapp_template_id = template
        self.assertEqual(form.whatsapp_template_body, BODY)
        values = ("partner_name", "invoice_number", "amount_due", "due_date")
        values += ("pay_link", "creditor")
        self.assertEqual(len(form.whatsapp_param_ids), 6, "one line per variable")
        for index, value in enumerate(values):
            with form.whatsapp_param_ids.edit(index) as line:
                self.assertEqual(line.placeholder, f"{{{{{index + 1}}}}}")
                self.assertFalse(line.value)
                line.value = value
        step = form.save()
        self.assertEqual(
            step.whatsapp_param_ids.mapped("placeholder"),
            ["{{1}}", "{{2}}", "{{3}}", "{{4}}", "{{5}}", "{{6}}"],
        )
        self.assertEqual(tuple(step.whatsapp_param_ids.mapped("value")), values)
        # Another template: as many lines as it has variables, values kept.
        form = Form(step)
        form.whatsapp_template_id = short
        self.assertEqual(form.whatsapp_template_body, "Olá, {{1}}. Credor: {{2}}.")
        self.assertEqual(len(form.whatsapp_param_ids), 2)
        with form.whatsapp_param_ids.edit(1) as line:
            self.assertEqual(
                (line.placeholder, line.value), ("{{2}}", "invoice_number")
            )
            line.value = "creditor"
        form.save()
        self.assertEqual(
            step.whatsapp_param_ids.mapped("value"), ["partner_name", "creditor"]
        )
        self.assertEqual(
            step.whatsapp_param_ids.mapped("placeholder"), ["{{1}}", "{{2}}"]
        )

    def test_a_step_saved_alone_checks_its_variables(self):
        self._sync()
        step = self._step().step_ids
        error = (
            r"^The template fatura_vencida \(pt_BR\) has 6 variables, "
            r"\{\{1\}\}…\{\{6\}\}, and the step gives 5 values: give each "
            r"variable one value, in order\.$"
        )
        form = Form(step)
        form.whatsapp_param_ids.remove(5)
        with self.assertRaisesRegex(ValidationError, error), self.env.cr.savepoint():
            form.save()
        self.env.invalidate_all()
        with self.assertRaisesRegex(ValidationError, error), self.env.cr.savepoint():
            step.write(
                {"whatsapp_param_ids": [Command.delete(step.whatsapp_param_ids[-1].id)]}
            )
        self.env.invalidate_all()
        self.assertEqual(len(step.whatsapp_param_ids), 6)

    def test_an_opt_in_on_a_new_customer_records_its_date_and_source(self):
        Partner = self.env["res.partner"]
        with freeze_time(day(0)):
            signed, ticked, never = Partner.create(
                [
                    {
                        "name": "Clínica Vida Plena",
                        "collection_whatsapp_opt_in": True,
                        "collection_whatsapp_opt_in_source": "Contrato, cláusula 12",
                    },
                    {"name": "Oficina Boa Vista", "collection_whatsapp_opt_in": True},
                    {"name": "Mercado Central"},
                ]
            )
        self.assertEqual(
            (
                signed.collection_whatsapp_opt_in_date,
                signed.collection_whatsapp_opt_in_source,
            ),
            (day(0), "Contrato, cláusula 12"),
        )
        self.assertEqual(
            (
                ticked.collection_whatsapp_opt_in_date,
                ticked.collection_whatsapp_opt_in_source,
            ),
            (day(0), f"Recorded in Odoo by {self.env.user.name}"),
        )
        self.assertFalse(never.collection_whatsapp_opt_in_date)
        self.assertFalse(never.collection_whatsapp_opt_in_source)
        # A later opt-in, as on the customer's form, records them the same way.
        with freeze_time(day(1)):
            never.collection_whatsapp_opt_in = True
        self.assertEqual(
            (
                never.collection_whatsapp_opt_in_date,
                never.collection_whatsapp_opt_in_source,
            ),
            (day(1), f"Recorded in Odoo by {self.env.user.name}"),
        )

    def test_a_step_must_identify_the_creditor(self):
        self._sync()
        values = ("partner_name", "invoice_number", "amount_due", "due_date")
        with self.assertRaisesRegex(ValidationError, "does not identify the creditor"):
            self._step(values=(*values, "pay_link", "charges"))
        # A step saved before the rule sends nothing.
        old = self._step()
        creditor = old.step_ids.whatsapp_param_ids.filtered(
            lambda p: p.value == "creditor"
        )
        self.env.cr.execute(
            "UPDATE collection_ruler_step_whatsapp_param SET value = 'charges' "
            "WHERE id = %s",
            creditor.ids,
        )
        creditor.invalidate_recordset()
        move = self._create_invoice(collection_ruler_id=old.id)
        self.assertEqual(self._run(day(7))["failed"], 1)
        self.assertIn(
            "does not identify the creditor", move.collection_event_ids.failure_reason
        )
        # A template whose approved text gives the company's CNPJ needs no
        # variable for it.
        self.company.vat = "11.222.333/0001-81"
        template = self.provider.whatsapp_template_ids.filtered(
            lambda t: t.name == "fatura_vencida"
        )
        template.body = BODY.replace("{{6}}", "Padaria Central, CNPJ 11222333000181")
        template.variable_count = 5
        step = self._step(values=(*values, "pay_link")).step_ids
        self.assertEqual(step.whatsapp_template_id, template)
        self.assertEqual(
            self.env["collection.channel.whatsapp"]._get_value(
                move.with_context(collection_date=day(7)), "charges", "en_US", {}
            ),
            "Principal $ 1,000.00 + late fine $ 20.00 + interest $ 2.33 "
            "(1.00% a month, as agreed) = $ 1,022.33",
        )

    def test_the_message_is_in_the_customer_language_and_sent_after_the_run(self):
        self._sync()
        ruler = self._step()
        move = self._create_invoice(
            collection_ruler_id=ruler.id, currency_id=self.brl.id, amount=1234.5
        )
        self.server.requests.clear()
        counts = self._run(day(7))
        self.assertEqual(counts["done"], 1)
        event = move.collection_event_ids
        message = event.provider_message_id
        self.assertEqual(message.state, "queued")
        self.assertFalse(self.server.requests, "nothing sent inside the run")
        params = [
            p["text"]
            for p in message.payload["template"]["components"][0]["parameters"]
        ]
        self.assertEqual(
            params[:4], ["Padaria Pão Quente", move.name, "R$ 1.234,50", "10/03/2026"]
        )
        self.assertRegex(params[4], r"/r/\w+$", "the pay link, shortened")
        self.assertEqual(params[5], move.collection_creditor, "CDC art. 42-A")
        self.assertEqual(message.recipient, "5511987654321")
        self.assertEqual(message.payload["template"]["language"], {"code": "pt_BR"})
        self.server.script((200, {"messages": [{"id": WAMID}]}))
        self.env["collection.provider.message"]._send_queue()
        self.assertEqual(len(self.server.requests), 1)
        self.assertEqual(
            (message.state, event.provider_message_state), ("sent", "sent")
        )

    def test_two_invoices_share_one_message(self):
        self._sync()
        ruler = self._step()
        first, second = (
            self._create_invoice(
                collection_ruler_id=ruler.id, currency_id=self.brl.id, amount=amount
            )
            for amount in (1000, 234.5)
        )
        self.assertEqual(self._run(day(7))["done"], 2)
        events = first.collection_event_ids | second.collection_event_ids
        message = events.provider_message_id
        self.assertEqual(len(message), 1, "one message for both invoices")
        params = [
            p["text"]
            for p in message.payload["template"]["components"][0]["parameters"]
        ]
        self.assertEqual(params[1:3], [f"{first.name}, {second.name}", "R$ 1.234,50"])
        link = self.env["link.tracker.code"].search(
            [("code", "=", params[4].rsplit("/", 1)[1])]
        )
        self.assertIn("/collection/pay/", link.link_id.url, "one link for both")
        self.server.script((200, {"messages": [{"id": WAMID}]}))
        self.env["collection.provider.message"]._send_queue()
        self.assertEqual(events.mapped("delivery_state"), ["sent", "sent"])

    def test_opted_out_and_not_opted_in_customers_are_not_messaged(self):
        self._sync()
        ruler = self._step()
        out = self._create_invoice(collection_ruler_id=ruler.id)
        self.customer.collection_whatsapp_opt_out_date = day(0)
        never = self._create_invoice(
            partner=self.customer_2, collection_ruler_id=ruler.id
        )
        self._run(day(7))
        self.assertEqual(out.collection_event_ids.state, "failed")
        self.assertIn("opted out", out.collection_event_ids.failure_reason)
        self.assertIn("has not agreed", never.collection_event_ids.failure_reason)
        self.assertFalse(self.env["collection.provider.message"].search([]))

    def test_an_opted_out_customer_gets_the_fallback_email(self):
        self._sync()
        ruler = self._step()
        ruler.step_ids.fallback_step_ids = [
            Command.create({"name": "Email instead", "channel": "email"})
        ]
        move = self._create_invoice(collection_ruler_id=ruler.id)
        self.customer.collection_whatsapp_opt_out_date = day(0)
        with self.mock_mail_gateway():
            self.assertEqual(self._run(day(7))["fell_back"], 1)
            self.assertEqual(self._run(day(7))["done"], 1)
        whatsapp, email = move.collection_event_ids.sorted("id")
        self.assertEqual(whatsapp.state, "fell_back")
        self.assertIn("opted out", whatsapp.failure_reason)
        self.assertEqual((email.state, email.fallback_of_id), ("done", whatsapp))
        self.assertEqual(len(self._mails_to(self.customer)), 1)
        self.assertFalse(self.env["collection.provider.message"].search([]))

    def test_a_refused_message_falls_back(self):
        self._sync()
        ruler = self._step()
        ruler.step_ids.fallback_step_ids = [
            Command.create({"name": "Email instead", "channel": "email"})
        ]
        move = self._create_invoice(collection_ruler_id=ruler.id)
        self._run(day(7))
        self.server.script((400, {"error": {"message": "(#131030) Not a WhatsApp"}}))
        whatsapp = move.collection_event_ids
        self.env["collection.provider.message"]._send_queue()
        self.assertEqual(
            (whatsapp.state, whatsapp.failure_reason),
            ("fell_back", "(#131030) Not a WhatsApp"),
        )
        self.assertEqual(whatsapp.fallback_event_ids.state, "scheduled")

    def test_a_failed_status_fails_the_event(self):
        self._sync()
        move = self._create_invoice(collection_ruler_id=self._step().id)
        self._run(day(7))
        self.server.script((200, {"messages": [{"id": WAMID}]}))
        self.env["collection.provider.message"]._send_queue()
        message = move.collection_event_ids.provider_message_id
        # As the webhook does, in sudo.
        message.sudo()._apply_status(
            "failed", day(7), reason="(131026) Message undeliverable"
        )
        self.assertEqual(move.collection_event_ids.state, "failed")
        self.assertEqual(
            move.collection_event_ids.failure_reason, "(131026) Message undeliverable"
        )

    def test_a_refused_message_fails_its_event_with_meta_reason(self):
        self._sync()
        move = self._create_invoice(collection_ruler_id=self._step().id)
        self._run(day(7))
        error = {"message": "(#132001) Template name does not exist in the translation"}
        self.server.script((404, {"error": error}))
        self.env["collection.provider.message"]._send_queue()
        event = move.collection_event_ids
        self.assertEqual(event.state, "failed")
        self.assertEqual(event.failure_reason, error["message"])
        self.assertIn("failed: (#132001)", move.message_ids[0].body)

    def test_a_whatsapp_delivered_proves_the_debit_notice(self):
        """A WhatsApp step serving as debit notice: the registration waits for
        Meta's "delivered", then counts the notice days from it."""
        self._sync()
        ruler = self._step()
        ruler.step_ids.serves_as_debit_notice = True
        bureau_step = self.env["collection.ruler.step"].create(
            {
                "ruler_id": ruler.id,
                "name": "Bureau",
                "offset_days": 30,
                "channel": "credit_bureau",
            }
        )
        self.customer.write(
            {"vat": "529.982.247-25", "state_id": self.env.ref("base.state_br_rj").id}
        )
        self.company.collection_notice_proof_days = 60  # no printed fallback
        move = self._create_invoice(collection_ruler_id=ruler.id)
        self._run(day(7))
        self.server.script((200, {"messages": [{"id": WAMID}]}))
        self.env["collection.provider.message"]._send_queue()
        notice = move.collection_event_ids.filtered(lambda e: e.channel == "whatsapp")
        bureau = move.collection_event_ids - notice
        # Sent is not delivered.
        self._run(day(30))
        self.assertEqual(bureau.state, "scheduled")
        self.assertIn("no delivery receipt came back yet", bureau.failure_reason)
        # As the webhook does, in sudo: delivered on D+8.
        notice.provider_message_id.sudo()._apply_status("delivered", day(8))
        receipts = notice.evidence_ids.filtered(lambda r: r.kind == "receipt")
        self.assertEqual(receipts.mapped("receipt_state"), ["sent", "delivered"])
        contact = receipts.contact_id
        self.assertEqual(contact.recipient, "5511987654321")
        self.assertIn("fatura_vencida", contact.content)
        self._run(day(31))
        self.assertEqual(bureau.state, "done")
        self.assertEqual(bureau.registration_id.debit_notice_date, day(8).date())
        self.assertEqual(bureau_step, bureau.step_id)
