"""A thin client of Twilio Programmable Voice: place a call that plays a
recorded message, and check the signature of Twilio's callbacks.

``POST /2010-04-01/Accounts/{AccountSid}/Calls.json`` takes form fields
(``To``, ``From``, ``Twiml``, ``StatusCallback``...) with HTTP basic auth;
TwiML is built with lxml. Twilio signs each callback with
``X-Twilio-Signature``: the base64 HMAC-SHA1, keyed with the auth token, of
the full public URL followed by each POST parameter's name and value, sorted
by name.
"""

import base64
import hashlib
import hmac

from lxml import etree

from odoo.addons.collection_ruler.tools import provider_http

API_URL = "https://api.twilio.com"
# Twilio's final call statuses.
ANSWERED = "completed"
NOT_ANSWERED = ("busy", "no-answer", "failed", "canceled")


def signature(auth_token, url, params):
    """The ``X-Twilio-Signature`` of a callback to ``url`` with ``params``."""
    data = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def check_signature(auth_token, url, params, header):
    """Whether ``header`` is Twilio's signature of this callback."""
    if not auth_token or not header:
        return False
    return hmac.compare_digest(signature(auth_token, url, params), header)


def twiml(say=None, language="pt-BR", voice="Polly.Camila", play_url=None):
    """The TwiML of a recorded message: a text spoken in ``language``, or
    an audio file played from ``play_url``."""
    response = etree.Element("Response")
    if play_url:
        etree.SubElement(response, "Play").text = play_url
    else:
        node = etree.SubElement(response, "Say", language=language, voice=voice)
        node.text = say or ""
    return etree.tostring(response, xml_declaration=True, encoding="UTF-8").decode()


def parse_error(response):
    """Twilio's error: ``{"code", "message", "more_info", "status"}``."""
    try:
        error = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}", None
    message = error.get("message") or f"HTTP {response.status_code}"
    code = error.get("code")
    return (f"{message} ({code})" if code else message), code


class TwilioVoice:
    """One Twilio account."""

    def __init__(self, account_sid, auth_token, base_url=API_URL):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.base_url = base_url.rstrip("/")

    def get_account(self):
        """The account, as Twilio knows it: a harmless call that proves the
        SID and the auth token.

        :return: dict with ``friendly_name`` and ``status``
        """
        answer = provider_http.request(
            "GET",
            f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}.json",
            parse_error=parse_error,
            auth=(self.account_sid, self.auth_token),
        )
        return answer or {}

    def create_call(self, fields):
        """Place a call; return its ``CallSid``.

        :param dict fields: To, From, Twiml, StatusCallback,
            StatusCallbackEvent, MachineDetection...
        """
        answer = provider_http.request(
            "POST",
            f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Calls.json",
            parse_error=parse_error,
            data=fields,
            auth=(self.account_sid, self.auth_token),
        )
        if not (answer or {}).get("sid"):
            raise provider_http.ProviderError(f"No call sid in the answer: {answer}")
        return answer["sid"]
