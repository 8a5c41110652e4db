/** @odoo-module **/
/* A collection manager applies a ruler to a selected invoice from the
   invoice list: the preview says what changes before anything does. */
import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("collection_ruler_apply_tour", {
    url: "/odoo/action-account.action_move_out_invoice_type",
    steps: () => [
        {
            content: "Select the customer's invoice",
            // The first page of a fresh database builds its assets: slow on a
            // busy machine.
            timeout: 30000,
            trigger:
                "tr.o_data_row:has(td:contains('Tour Debtor')) .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Open the actions",
            trigger: ".o_cp_action_menus i.fa-cog",
            run: "click",
        },
        {
            content: "Apply Collection Ruler",
            trigger: ".o-dropdown--menu .o-dropdown-item:contains('Apply Collection Ruler')",
            run: "click",
        },
        {
            content: "Choose the ruler",
            trigger: ".modal .o_field_widget[name=ruler_id] input",
            run: "edit Tour Ruler",
        },
        {
            trigger:
                ".modal .o_field_widget[name=ruler_id] .o-autocomplete--dropdown-item > a:contains('Tour Ruler')",
            run: "click",
        },
        {
            content: "The preview counts the invoice and the step already past",
            timeout: 20000,
            trigger:
                ".modal .o_field_widget[name=preview]:contains('1 invoice will follow Tour Ruler'):contains('will not be sent')",
        },
        {
            content: "Apply",
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "The wizard has closed",
            trigger: "body:not(:has(.modal))",
        },
    ],
});
