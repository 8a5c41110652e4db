"""Print Pending Letters: the letters waiting to be printed, in one PDF."""

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.pdf import merge_pdf


class CollectionLetterPrint(models.TransientModel):
    """Merge the letters waiting to be printed into one PDF to download.

    Opened on a selection of letters, it prints those still waiting; opened
    from the menu, every pending letter the user can see. Any collection user
    may print: the search applies their access rights.
    """

    _name = "collection.letter.print"
    _description = "Print Collection Letters"

    event_ids = fields.Many2many(
        comodel_name="collection.ruler.event",
        string="Letters",
        default=lambda self: self._default_event_ids(),
    )
    letter_count = fields.Integer(
        string="Letters to Print", compute="_compute_letter_count"
    )

    @api.model
    def _default_event_ids(self):
        return self._get_pending(self.env.context.get("active_ids"))

    @api.depends("event_ids")
    def _compute_letter_count(self):
        for wizard in self:
            wizard.letter_count = len(wizard.event_ids)

    @api.model
    def _get_pending(self, ids=None):
        """The letters waiting to be printed, among ``ids`` when given, in the
        order they print in: by customer, then invoice.

        :param list ids: collection.ruler.event ids, or None for all
        :return: collection.ruler.event records the user can see
        """
        domain = [("letter_to_print", "=", True), ("letter_attachment_id", "!=", False)]
        if ids and self.env.context.get("active_model") == "collection.ruler.event":
            domain = expression.AND([domain, [("id", "in", ids)]])
        return self.env["collection.ruler.event"].search(
            domain, order="partner_id, move_id, id"
        )

    def action_print(self):
        """Print the letters: :return: an action downloading the merged PDF"""
        self.ensure_one()
        events = self.env["collection.ruler.event"].search(
            [("id", "in", self.event_ids.ids)], order="partner_id, move_id, id"
        )
        attachment = self._print(events)
        return {
            "type": "ir.actions.act_url",
            # The letters count as printed when this link serves the PDF, not
            # before: a download a popup blocker stopped leaves them queued.
            "url": f"/collection_ruler/letters/{attachment.id}",
            # A new tab downloads the file; the list left open reloads.
            "target": "new",
        }

    @api.model
    def _print(self, events):
        """Merge letters waiting to be printed into one PDF, dated today.

        Letters are rendered again, dated today, so their deadline runs from
        the day they are mailed. They count as printed only once the merged
        PDF is served (``collection.channel.letter._serve_print_batch``),
        which starts the notice period of a debit notice. Letters of invoices
        that can no longer be collected (paid, excluded...) are withdrawn
        instead.

        :param events: collection.ruler.event records the user can see
        :return: the ir.attachment of the merged PDF
        """
        if events:
            # Two people printing at once must not both print the same letters.
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM collection_ruler_event WHERE id IN %s "
                    "FOR UPDATE SKIP LOCKED",
                    tuple(events.ids),
                )
            )
            locked = {row[0] for row in self.env.cr.fetchall()}
            events = events.filtered(lambda e: e.id in locked)
        withdrawn = events.filtered(lambda e: e.move_id._collection_get_stop_reason())
        if withdrawn:
            withdrawn.sudo().write({"letter_delivery": "withdrawn"})
            events -= withdrawn
        # A letter has legal weight: it waits while the customer has money on
        # account to reconcile (collection_ruler_hold.py), and stays queued.
        credits = self.env["collection.ruler.hold"]._get_outstanding_credits(
            events.move_id
        )
        held = events.filtered(lambda e: e.move_id.id in credits)
        events -= held
        if not events and held:
            raise UserError(
                self.env._(
                    "The letters waiting to be printed are held: their customers "
                    "have payments or credit notes to reconcile first."
                )
            )
        if not events:
            raise UserError(self.env._("No letter is waiting to be printed."))
        events = events.sudo()
        Letter = self.env["collection.channel.letter"]
        contents = []
        # The invoices of one digest share their letter: printed once.
        for attachment, group in events.grouped("letter_attachment_id").items():
            event = group.sorted(lambda e: bool(e.digest_event_id))[0]
            letters = Letter.with_company(event.company_id)
            name, content = letters._render_letter(event)
            attachment.write({"name": name, "raw": content})
            group.write(
                {
                    "letter_deadline": letters._get_letter_deadline(event),
                    "letter_move_ids": [Command.set(letters._get_claimed(event).ids)],
                }
            )
            contents.append(content)
        now = fields.Datetime.now()
        batch = self.env["ir.attachment"].create(
            {
                "name": self.env._(
                    "Collection letters %(date)s.pdf",
                    date=fields.Datetime.to_string(now).replace(":", "-"),
                ),
                "raw": merge_pdf(contents),
                "mimetype": "application/pdf",
                "res_model": events._name,
            }
        )
        events.write({"letter_print_batch_id": batch.id})
        return batch
