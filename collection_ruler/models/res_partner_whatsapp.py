from odoo import api, fields, models

from .res_partner import only_digits


def whatsapp_number_variants(number):
    """The forms a Brazilian mobile number takes on WhatsApp, in E.164.

    Meta's WhatsApp id of a Brazilian mobile may drop the ninth digit
    (``55 11 8765-4321`` for ``55 11 98765-4321``): both forms match.

    :param str number: digits, with or without ``+`` and punctuation
    :return: set of ``+<digits>`` strings
    """
    digits = only_digits(number)
    variants = {digits}
    if digits.startswith("55"):
        if len(digits) == 13 and digits[4] == "9":
            variants.add(digits[:4] + digits[5:])
        elif len(digits) == 12 and digits[4] in "6789":
            # Mobiles start with 6 to 9 once the ninth digit is dropped.
            variants.add(digits[:4] + "9" + digits[4:])
    return {f"+{variant}" for variant in variants if variant}


class ResPartner(models.Model):
    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    collection_whatsapp_opt_in = fields.Boolean(
        string="WhatsApp Opt-in",
        copy=False,
        groups="collection_ruler.group_collection_user",
        help="The customer agreed to receive collection messages on WhatsApp.",
    )
    collection_whatsapp_opt_in_date = fields.Datetime(
        string="WhatsApp Opt-in Date",
        copy=False,
        groups="collection_ruler.group_collection_user",
    )
    collection_whatsapp_opt_in_source = fields.Char(
        string="WhatsApp Opt-in Source",
        copy=False,
        groups="collection_ruler.group_collection_user",
        help="Where the customer agreed: a signed contract, the portal, a reply...",
    )
    collection_whatsapp_opt_out_date = fields.Datetime(
        string="WhatsApp Opt-out Date",
        copy=False,
        groups="collection_ruler.group_collection_user",
        help="When the customer asked to receive no more WhatsApp messages. An "
        "opted-out customer is never messaged on WhatsApp.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [
            self._collection_whatsapp_opt_in_values(vals)
            if vals.get("collection_whatsapp_opt_in")
            else vals
            for vals in vals_list
        ]
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("collection_whatsapp_opt_in"):
            vals = self._collection_whatsapp_opt_in_values(vals)
        return super().write(vals)

    def _collection_whatsapp_opt_in_values(self, vals):
        """``vals`` of an opt-in, with its date (now) and its source (who
        recorded it) unless they are given; a new opt-in lifts an earlier
        opt-out.

        :param dict vals: values that set ``collection_whatsapp_opt_in``
        :return: a new dict
        """
        vals = dict(vals)
        if not vals.get("collection_whatsapp_opt_in_date"):
            vals["collection_whatsapp_opt_in_date"] = fields.Datetime.now()
        if not vals.get("collection_whatsapp_opt_in_source"):
            company = self.env.company
            vals["collection_whatsapp_opt_in_source"] = self.with_context(
                lang=company._collection_get_lang()
            ).env._("Recorded in Odoo by %(user)s", user=self.env.user.name)
        vals.setdefault("collection_whatsapp_opt_out_date", False)
        return vals

    @api.model
    def _collection_find_by_whatsapp(self, number, company):
        """The contacts of ``company`` whose mobile or phone is ``number``,
        with or without the ninth digit."""
        return self.search(
            [
                ("phone_sanitized", "in", list(whatsapp_number_variants(number))),
                ("company_id", "in", [company.id, False]),
            ]
        )

    def _collection_whatsapp_opt_out(self, text):
        """Opt these customers out after their message ``text``."""
        now = fields.Datetime.now()
        for partner in self.commercial_partner_id | self:
            if partner.collection_whatsapp_opt_out_date:
                continue
            partner.write(
                {
                    "collection_whatsapp_opt_in": False,
                    "collection_whatsapp_opt_out_date": now,
                }
            )
            partner.message_post(
                body=self.env._(
                    "Opted out of WhatsApp collection messages by replying "
                    "“%(text)s”.",
                    text=text,
                ),
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
