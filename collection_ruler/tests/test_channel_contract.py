"""The channel contract holds: the engine never tests a channel code.

Each channel says what the engine needs through the hooks and traits of
``collection.channel``; the engine, the guards, evidence, delivery, the
fallback, the wording check and the letters ask it. A channel's own files
(``collection_channel_<code>.py``) may name their code.
"""

import ast
from pathlib import Path

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged

from .common import CollectionRulerCommon

MODULE = Path(__file__).resolve().parent.parent
# The files of the WhatsApp channel, which are its own.
CHANNEL_FILES = (
    "models/collection_provider_whatsapp.py",
    "models/collection_whatsapp_template.py",
    "models/res_partner_whatsapp.py",
    "controllers/whatsapp.py",
)


def channel_code_tests(source, codes):
    """Where ``source`` tests or lists a channel code: a comparison with one,
    a collection of them, or a dict keyed by one.

    :return: list of (line, code)
    """
    found = []

    def codes_in(node):
        if isinstance(node, ast.Constant) and node.value in codes:
            return [node.value]
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return [c for elt in node.elts for c in codes_in(elt)]
        return []

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                found += [(node.lineno, code) for code in codes_in(operand)]
        elif isinstance(node, ast.Dict):
            for key in node.keys:
                if key is not None:
                    found += [(key.lineno, code) for code in codes_in(key)]
        elif isinstance(node, ast.Assign) and node.col_offset == 0:
            if isinstance(node.value, ast.Tuple | ast.List | ast.Set):
                found += [(node.lineno, code) for code in codes_in(node.value)]
    return sorted(found)


@tagged("post_install", "-at_install")
class TestChannelCodesStayInTheirChannels(TransactionCase):
    def test_the_engine_names_no_channel_code(self):
        selection = self.env["collection.ruler.step"]._fields["channel"]
        codes = {code for code, _label in selection._description_selection(self.env)}
        self.assertTrue({"email", "sms", "letter", "credit_bureau"} <= codes)
        own = {f"models/collection_channel_{code}.py" for code in codes}
        checked, leaks = [], []
        for folder in ("models", "wizards", "controllers"):
            for path in sorted((MODULE / folder).glob("*.py")):
                name = f"{folder}/{path.name}"
                if name in own or name in CHANNEL_FILES:
                    continue
                checked.append(name)
                leaks += [
                    f"{name}:{line} tests the channel code {code!r}"
                    for line, code in channel_code_tests(path.read_text(), codes)
                ]
        self.assertIn("models/collection_ruler_run.py", checked)
        self.assertIn("models/collection_notice_proof.py", checked)
        self.assertEqual(leaks, [])

    def test_the_check_finds_a_code_test(self):
        """The check itself catches each way of testing a code."""
        codes = {"sms", "letter"}
        source = (
            'if event.channel == "sms":\n    pass\n'
            'if step.channel in ("letter", "call"):\n    pass\n'
            'STATES = {"letter": 1}\n'
            'NEVER = ("sms",)\n'
            'selection = [("email", "Email")]\n'
        )
        self.assertEqual(
            channel_code_tests(source, codes),
            [(1, "sms"), (3, "letter"), (5, "letter"), (6, "sms")],
        )


@tagged("post_install", "-at_install")
class TestChannelHooks(CollectionRulerCommon):
    def test_every_channel_says_what_its_steps_say(self):
        """The wording check reads every channel's texts, a call's script and
        a recorded message's included."""
        self.step_call.activity_note = "<p>Ask when the customer can pay.</p>"
        with self.assertRaisesRegex(ValidationError, "police"):
            self.step_call.activity_note = "<p>Say the police were told.</p>"

    def test_traits_come_from_the_channel(self):
        Step = self.env["collection.ruler.step"]
        bureau = Step.create(
            {
                "ruler_id": self.ruler.id,
                "name": "Serasa",
                "offset_days": 40,
                "channel": "credit_bureau",
            }
        )
        self.assertFalse(bureau.serves_as_debit_notice)
        self.assertFalse(bureau._get_channel()._may_be_fallback)
        self.assertEqual(bureau._get_channel()._get_bureau(bureau), "serasa")
        with self.assertRaisesRegex(ValidationError, "never a fallback"):
            Step.create(
                {
                    "ruler_id": self.ruler.id,
                    "name": "Fallback",
                    "channel": "credit_bureau",
                    "fallback_for_id": self.step_sms.id,
                }
            )
        self.assertIsNone(
            self.step_due._get_channel()._get_serves_as_debit_notice(self.step_due)
        )
        self.assertFalse(self.step_due._get_channel()._get_bureau(self.step_due))
