"""18.0.1.7.0: recorded calls move to their bridge module, collection_ruler_voice.

Before this version loads, the records, fields, selection values and data
that now belong to collection_ruler_voice change owner (their ``ir_model_data``
rows), so that Odoo's end-of-update clean-up of collection_ruler drops none
of them: no column of a moved field, no selection value in use, no contact
hours a user edited. Then the bridge, which an update alone would leave
uninstalled, is marked to be upgraded, so that it loads in this same run, in
update mode: its ``noupdate`` data keeps the users' edits, and it ends
installed, as a fresh install of collection_ruler would have it
(``auto_install``). A database that has the bridge already is left as it is.
"""

import logging

_logger = logging.getLogger(__name__)

# The bridge, and what moves to it: every xml id it owns on a fresh install,
# except those collection_ruler keeps for itself (the models it extends, the
# fields it redefines), plus its demo data and the forms that an earlier
# development version held in collection_ruler.
MOVES = {
    "collection_ruler_voice": (
        "collection_provider_view_form_voice",
        "collection_ruler_step_view_form_voice",
        "contact_window_al_voice",
        "contact_window_ce_voice",
        "contact_window_default_voice",
        "contact_window_sp_voice",
        "demo_provider_twilio",
        "demo_step_voice",
        "field_collection_provider__twilio_account_sid",
        "field_collection_provider__twilio_auth_token",
        "field_collection_provider__twilio_from_number",
        "field_collection_provider__zenvia_access_token",
        "field_collection_provider__zenvia_caller_id",
        "field_collection_provider__zenvia_webhook_token",
        "field_collection_provider__zenvia_webhook_url",
        "field_collection_provider_message__call_answered_by",
        "field_collection_provider_message__call_duration",
        "field_collection_provider_message__call_status",
        "field_collection_ruler_step__voice_audio",
        "field_collection_ruler_step__voice_audio_filename",
        "field_collection_ruler_step__voice_machine",
        "field_collection_ruler_step__voice_retry_count",
        "field_collection_ruler_step__voice_retry_hours",
        "field_collection_ruler_step__voice_script",
        "field_collection_ruler_step__voice_source",
        "model_collection_channel_voice",
        "model_inherit__collection_channel_voice__collection_channel",
        "selection__collection_provider__code__twilio_voice",
        "selection__collection_provider__code__zenvia_voice",
        "selection__collection_provider_message__call_status__busy",
        "selection__collection_provider_message__call_status__canceled",
        "selection__collection_provider_message__call_status__completed",
        "selection__collection_provider_message__call_status__failed",
        "selection__collection_provider_message__call_status__in-progress",
        "selection__collection_provider_message__call_status__no-answer",
        "selection__collection_provider_message__call_status__queued",
        "selection__collection_provider_message__call_status__ringing",
        "selection__collection_ruler_step__channel__voice",
        "selection__collection_ruler_step__voice_machine__leave",
        "selection__collection_ruler_step__voice_machine__no_answer",
        "selection__collection_ruler_step__voice_source__audio",
        "selection__collection_ruler_step__voice_source__script",
    ),
}


def migrate(cr, version):
    if not version:
        return
    for bridge, names in MOVES.items():
        cr.execute("SELECT state FROM ir_module_module WHERE name = %s", [bridge])
        row = cr.fetchone()
        if not row:
            # Its code is missing: the upgrade would drop what it owns.
            raise RuntimeError(
                f"collection_ruler {version} -> 18.0.1.7.0 needs the module "
                f"{bridge} in the addons path: update the apps list with it."
            )
        if row[0] not in ("uninstalled", "to install", "to upgrade"):
            continue  # installed already: it owns its records
        cr.execute(
            """
            UPDATE ir_model_data imd
               SET module = %(bridge)s
             WHERE imd.module = 'collection_ruler'
               AND imd.name = ANY(%(names)s)
               AND NOT EXISTS (
                   SELECT 1 FROM ir_model_data other
                    WHERE other.module = %(bridge)s AND other.name = imd.name
               )
            """,
            {"bridge": bridge, "names": list(names)},
        )
        _logger.info("collection_ruler: %s xml ids moved to %s", cr.rowcount, bridge)
        cr.execute(
            """
            UPDATE ir_module_module bridge
               SET state = 'to upgrade',
                   demo = core.demo
              FROM ir_module_module core
             WHERE bridge.name = %s AND core.name = 'collection_ruler'
            """,
            [bridge],
        )
