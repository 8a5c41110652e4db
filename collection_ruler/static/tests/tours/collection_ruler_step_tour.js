/** @odoo-module **/
/* A manager adds a step to a ruler and changes its channel: each channel
   brings its own defaults and takes the previous channel's away, so that a
   letter never goes out under the due-date reminder's email. */
import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("collection_ruler_step_tour", {
    steps: () => [
        {
            content: "Add a step to the ruler",
            // The first page of a fresh database builds its assets: slow on a
            // busy machine.
            timeout: 30000,
            trigger: "div[name=step_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Name the step",
            trigger: ".modal .o_field_widget[name=name] input",
            run: "edit Tour Debit Notice",
        },
        {
            content: "A new step is an email with the due-date reminder",
            trigger:
                ".modal .o_field_widget[name=mail_template_id] input:value(Collection: reminder on the due date)",
        },
        {
            content: "Make it a letter",
            trigger: ".modal .o_field_widget[name=channel] select",
            run: 'select "letter"',
        },
        {
            content: "The letter is emailed with the letter's template",
            trigger:
                ".modal .o_field_widget[name=mail_template_id] input:value(Collection: letter)",
        },
        {
            content: "Try WhatsApp instead",
            trigger: ".modal .o_field_widget[name=channel] select",
            run: 'select "whatsapp"',
        },
        {
            content: "A WhatsApp step keeps no email template",
            trigger:
                ".modal:has(.o_field_widget[name=whatsapp_template_id]):not(:has(.o_field_widget[name=mail_template_id]))",
        },
        {
            content: "Back to a letter",
            trigger: ".modal .o_field_widget[name=channel] select",
            run: 'select "letter"',
        },
        {
            content: "The letter's template again, and no warning",
            trigger:
                ".modal:not(:has(.alert-warning)) .o_field_widget[name=mail_template_id] input:value(Collection: letter)",
        },
        {
            content: "Save the step",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The step is listed on the ruler",
            trigger: "div[name=step_ids] .o_data_row:contains('Tour Debit Notice'):contains('Collection: letter')",
        },
        {
            content: "Save the ruler",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_saved",
        },
    ],
});
