/** @odoo-module **/
/* A collector pauses an invoice, records the customer's promise to pay, then
   opens the collection preview, full-screen: the invoice's next step waits,
   and says why. */
import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("collection_ruler_guard_tour", {
    url: "/odoo/action-account.action_move_out_invoice_type",
    steps: () => [
        {
            content: "Open the customer's invoice",
            // The first page of a fresh database builds its assets: slow on a
            // busy machine.
            timeout: 30000,
            trigger: ".o_data_row:contains('Tour Debtor') td.o_data_cell",
            run: "click",
        },
        {
            content: "Open the invoice's Collection tab",
            trigger: ".o_form_view .o_notebook a.nav-link[name=collection]",
            run: "click",
        },
        {
            content: "Pause the invoice while the customer negotiates",
            trigger: ".o_field_widget[name=collection_paused_until] input",
            run: "edit 03/14/2026 && press Escape",
        },
        {
            content: "Record a promise to pay",
            trigger: ".o_field_widget[name=collection_promise_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger:
                ".o_field_widget[name=collection_promise_ids] .o_data_row .o_field_widget[name=amount] input",
            run: "edit 600",
        },
        {
            trigger:
                ".o_field_widget[name=collection_promise_ids] .o_data_row .o_field_widget[name=date] input",
            run: "edit 03/20/2026 && press Escape",
        },
        {
            content: "Save the invoice",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved: the promise is open",
            trigger:
                ".o_form_saved .o_field_widget[name=collection_promise_ids] .o_data_row:contains('Open')",
        },
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open Invoicing",
            trigger: ".o-dropdown--menu [data-menu-xmlid='account.menu_finance']",
            run: "click",
        },
        {
            content: "Open the Customers menu",
            trigger: ".o_menu_sections [data-menu-xmlid='account.menu_finance_receivables']",
            run: "click",
        },
        {
            content: "Open the collection preview",
            trigger: ".o-dropdown--menu .o-dropdown-item:contains('Collection Preview')",
            run: "click",
        },
        {
            content: "Preview the next days: the preview opened full-screen",
            trigger:
                "body:not(:has(.modal)) .o_form_view .o_form_statusbar button[name=action_preview]",
            run: "click",
        },
        {
            content: "The invoice's next step is deferred: its customer promised to pay",
            timeout: 20000,
            trigger:
                ".o_field_widget[name=visible_line_ids] .o_data_row:contains('Tour Debtor'):contains('Deferred'):contains('promise')",
        },
        {
            content: "Both message figures are named apart",
            trigger:
                ".o_form_view label:contains('Messages Going Out')",
        },
    ],
});
