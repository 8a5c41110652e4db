{
    "name": "Collection Ruler: Recorded Calls",
    "summary": "Recorded collection calls through Twilio Voice or Zenvia Voice, "
    "with their status callbacks and the state laws on collection calls",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/collection-ruler/collection_ruler",
    "author": "Collection Ruler",
    "license": "LGPL-3",
    "installable": True,
    "auto_install": True,
    "depends": ["collection_ruler"],
    "data": [
        "data/collection_contact_window_data.xml",
        "views/collection_provider_views.xml",
        "views/collection_ruler_step_views.xml",
    ],
    "demo": [
        "demo/collection_ruler_voice_demo.xml",
    ],
}
