import polib

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestVoiceTranslation(TransactionCase):
    def test_every_term_has_its_pt_br_translation(self):
        """pt_BR.po translates every term of the template, and has no stale one."""
        i18n = f"{get_module_path('collection_ruler_voice')}/i18n"
        pot = {e.msgid for e in polib.pofile(f"{i18n}/collection_ruler_voice.pot")}
        po = polib.pofile(f"{i18n}/pt_BR.po")
        translated = {e.msgid for e in po if e.msgstr and "fuzzy" not in e.flags}
        self.assertFalse(sorted(pot - translated), "terms without a pt_BR translation")
        self.assertFalse(sorted({e.msgid for e in po} - pot), "stale pt_BR terms")
