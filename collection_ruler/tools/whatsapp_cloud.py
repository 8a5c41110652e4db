"""A thin client of Meta's WhatsApp Business Cloud API (the Graph API).

Only what collection needs: send an approved template message to one
number. Payload shapes follow Meta's reference for ``POST
/{phone-number-id}/messages``; ``biz_opaque_callback_data`` carries the
message's idempotency key, which Meta echoes in every status webhook of
that message, so that a status finds its message even when the answer to
the send was lost.
"""

from . import provider_http

GRAPH_URL = "https://graph.facebook.com"
API_VERSION = "v21.0"


def parse_error(response):
    """Meta's error: ``{"error": {"message", "code", "error_data"}}``."""
    try:
        error = response.json().get("error") or {}
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}", None
    message = error.get("message") or f"HTTP {response.status_code}"
    details = (error.get("error_data") or {}).get("details")
    if details:
        message = f"{message}: {details}"
    return message, error.get("code")


def template_payload(to, template, language, parameters, key):
    """The body of a template message.

    :param str to: the recipient's number in E.164, without the plus sign
    :param str template: the approved template's name
    :param str language: its language code, such as ``pt_BR``
    :param list parameters: the body's variables, as text, in order
    :param str key: the idempotency key, echoed back in status webhooks
    """
    components = []
    if parameters:
        components.append(
            {
                "type": "body",
                "parameters": [{"type": "text", "text": p} for p in parameters],
            }
        )
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": {
            "name": template,
            "language": {"code": language},
            "components": components,
        },
        "biz_opaque_callback_data": key,
    }


class WhatsAppCloud:
    """One WhatsApp business phone number."""

    def __init__(self, phone_number_id, access_token, base_url=GRAPH_URL):
        self.phone_number_id = phone_number_id
        self.access_token = access_token
        self.base_url = base_url.rstrip("/")

    def get_phone_number(self):
        """The business phone number, as Meta knows it: a harmless call that
        proves the id and the token.

        :return: dict with ``display_phone_number`` and ``verified_name``
        """
        answer = provider_http.request(
            "GET",
            f"{self.base_url}/{API_VERSION}/{self.phone_number_id}",
            parse_error=parse_error,
            params={"fields": "display_phone_number,verified_name"},
            headers={"Authorization": f"Bearer {self.access_token}"},
        )
        return answer or {}

    def list_templates(self, account_id):
        """Every message template of the business account, page after page.

        :return: list of Meta's template dicts (name, language, status,
            category, components)
        """
        url = f"{self.base_url}/{API_VERSION}/{account_id}/message_templates"
        params = {"limit": 100, "fields": "name,language,status,category,components"}
        templates = []
        while url:
            answer = (
                provider_http.request(
                    "GET",
                    url,
                    parse_error=parse_error,
                    params=params,
                    headers={"Authorization": f"Bearer {self.access_token}"},
                )
                or {}
            )
            templates += answer.get("data") or []
            after = ((answer.get("paging") or {}).get("cursors") or {}).get("after")
            url = url if after and (answer.get("paging") or {}).get("next") else None
            params = {**params, "after": after}
        return templates

    def send(self, payload):
        """Send one message; return Meta's message id (``wamid...``)."""
        answer = provider_http.request(
            "POST",
            f"{self.base_url}/{API_VERSION}/{self.phone_number_id}/messages",
            parse_error=parse_error,
            json=payload,
            headers={"Authorization": f"Bearer {self.access_token}"},
        )
        messages = (answer or {}).get("messages") or []
        if not messages or not messages[0].get("id"):
            raise provider_http.ProviderError(f"No message id in the answer: {answer}")
        return messages[0]["id"]
