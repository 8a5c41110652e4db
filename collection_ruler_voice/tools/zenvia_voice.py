"""A thin client of Zenvia Voice (formerly TotalVoice): place a recorded
call, spoken from text (TTS) or played from an MP3, and read its outcome.

Per Zenvia's reference (github.com/totalvoice/totalvoice-docs, served at
totalvoice.github.io/totalvoice-docs) and its SDKs (github.com/totalvoice):
JSON over ``API_URL``, the account's token in an ``Access-Token`` header.
``POST /tts`` takes ``numero_destino``, ``mensagem``, ``tipo_voz``
(``br-Vitoria``...), ``resposta_usuario``, ``gravar_audio``,
``detecta_caixa`` (hang up on a voicemail box, at extra cost) and ``bina``
(caller id); ``POST /audio`` takes ``url_audio`` (a public MP3) instead. Every answer is
``{"status", "sucesso", "motivo", "mensagem", "dados"}``; ``dados.id`` is
the new call's id, and ``GET /tts/{id}`` or ``GET /audio/{id}`` returns
the call as ``dados``: ``status`` (``preparando``, ``chamando``,
``atendida``, ``sem resposta``, ``ocupado``, ``congestionado``, ``falha``,
``cancelada``, ``não existe``, ``desconhecido``), ``duracao_segundos``
(from the start, ringing included), ``duracao_falada_segundos`` (from the
answer), ``motivo_desconexao``... Numbers are E.164 (``+5511987654321``)
since Zenvia's 2024 revision of its docs and SDKs; before, DDD + number.

There is no callback URL per call, and no field telling a machine from a
person: the account's "TTS Fim" and "Áudio Fim" webhooks, set in Zenvia's
panel, POST the final call object as JSON, unsigned.
"""

import json

from odoo.addons.collection_ruler.tools import provider_http

API_URL = "https://voice-api.zenvia.com"
DEFAULT_VOICE = "br-Vitoria"
KINDS = ("tts", "audio")
# Final call statuses, named as Twilio names them (see twilio_voice.py).
ANSWERED = "completed"
NOT_ANSWERED = ("busy", "no-answer", "failed", "canceled")
STATUSES = {
    "atendida": ANSWERED,
    "ocupado": "busy",
    "sem resposta": "no-answer",
    "caixa postal": "no-answer",  # not in Zenvia's list; hung up by detecta_caixa
    "falha": "failed",
    "congestionado": "failed",
    "não existe": "failed",
    "nao existe": "failed",
    "desconhecido": "failed",
    "cancelada": "canceled",
}


def national_number(e164):
    """A Brazilian number without ``+55``: ``+5511987654321`` gives
    ``11987654321``; any other number is only stripped to its digits."""
    number = (e164 or "").strip()
    digits = "".join(c for c in number if c.isdigit())
    return digits[2:] if number.startswith("+55") else digits


def as_e164(number):
    """``number`` as ``+`` and digits; a bare DDD + number (10 or 11 digits)
    is taken for a Brazilian one."""
    digits = "".join(c for c in (number or "") if c.isdigit())
    if not (number or "").strip().startswith("+") and len(digits) in (10, 11):
        digits = "55" + digits
    return "+" + digits


def _seconds(value):
    """Seconds from an int, a string of digits or ``HH:MM:SS``; else 0."""
    if isinstance(value, int | float):
        return int(value)
    parts = str(value or "").split(":")
    if not all(part.strip().isdigit() for part in parts):
        return 0
    return sum(int(part) * 60**i for i, part in enumerate(reversed(parts)))


def _is_machine(dados):
    """Whether Zenvia names a voicemail box (caixa postal) in the call."""
    text = f"{dados.get('status') or ''} {dados.get('motivo_desconexao') or ''}"
    return "caixa" in text.lower()


def normalise_status(dados):
    """Zenvia's call status as Twilio names it: ``completed``, ``busy``,
    ``no-answer``, ``failed`` or ``canceled``; None while still in progress
    (``preparando``, ``chamando``) or when unknown. A call dropped on a
    voicemail box, as far as Zenvia says so, is ``no-answer``."""
    status = str(dados.get("status") or "").strip().lower()
    if status and _is_machine(dados):
        return "no-answer"
    return STATUSES.get(status)


def normalise(dados):
    """``{"id", "status", "duration", "answered_by", "raw"}`` of a call:
    ``duration`` is the talk time (as Twilio's ``CallDuration``);
    ``answered_by`` is ``machine`` or None, Zenvia never naming a person."""
    dados = dados or {}
    talk = dados.get("duracao_falada_segundos", dados.get("duracao_falada"))
    return {
        "id": str(dados["id"]) if dados.get("id") is not None else None,
        "status": normalise_status(dados),
        "duration": _seconds(talk),
        "answered_by": "machine" if _is_machine(dados) else None,
        "raw": dados,
    }


def parse_callback(payload):
    """The "TTS Fim" or "Áudio Fim" webhook, normalised as ``get_call``:
    the bare call object (``dados`` of ``GET /tts/{id}``), an enveloped one
    or JSON text. Unsigned: confirm with ``get_call`` when it matters."""
    if isinstance(payload, str | bytes):
        payload = json.loads(payload or "{}")
    payload = payload or {}
    if isinstance(payload.get("dados"), dict):
        payload = payload["dados"]
    return normalise(payload)


def parse_error(response):
    """Zenvia's error: ``{"status", "sucesso": false, "motivo", "mensagem"}``."""
    try:
        error = response.json()
    except ValueError:
        error = None
    if not isinstance(error, dict):
        return f"HTTP {response.status_code}: {response.text[:200]}", None
    return _message(error, f"HTTP {response.status_code}"), error.get("motivo")


def _message(answer, default):
    message = answer.get("mensagem") or default
    motivo = answer.get("motivo")
    return f"{message} (motivo {motivo})" if motivo is not None else message


class ZenviaVoice:
    """One Zenvia Voice account."""

    def __init__(self, access_token, base_url=API_URL):
        self.access_token = access_token
        self.base_url = base_url.rstrip("/")

    def _request(self, method, path, payload=None):
        """Zenvia's ``dados``; ``"sucesso": false`` raises, even on HTTP 200."""
        answer = provider_http.request(
            method,
            f"{self.base_url}{path}",
            parse_error=parse_error,
            json=payload,
            headers={"Access-Token": self.access_token, "Accept": "application/json"},
        )
        if not isinstance(answer, dict):
            raise provider_http.ProviderError(f"Not a Zenvia answer: {answer}")
        if answer.get("sucesso") is not True:
            message = _message(answer, "Zenvia refused the request")
            status = answer.get("status")
            if isinstance(status, int) and (status == 429 or status >= 500):
                raise provider_http.ProviderTransientError(message)
            raise provider_http.ProviderError(
                message, status=status, code=answer.get("motivo")
            )
        return answer.get("dados") or {}

    def _create(self, kind, fields, number, detect_machine, caller_id):
        fields.update(
            numero_destino=as_e164(number),
            resposta_usuario=False,
            gravar_audio=False,
            detecta_caixa=bool(detect_machine),
        )
        if caller_id:
            fields["bina"] = as_e164(caller_id)
        dados = self._request("POST", f"/{kind}", fields)
        if dados.get("id") is None:
            raise provider_http.ProviderError(f"No call id in the answer: {dados}")
        return str(dados["id"])

    def create_tts_call(
        self,
        number,
        message,
        *,
        voice=DEFAULT_VOICE,
        callback_url=None,
        detect_machine=True,
        caller_id=None,
    ):
        """Call ``number`` and speak ``message``; return the call's id.

        :param callback_url: ignored: Zenvia has no callback per call (the
            account's "TTS Fim" webhook reports every call)
        :param detect_machine: hang up on a voicemail box (``detecta_caixa``)
        :param caller_id: the number shown to the callee (``bina``)
        """
        fields = {"mensagem": message, "tipo_voz": voice or DEFAULT_VOICE}
        return self._create("tts", fields, number, detect_machine, caller_id)

    def create_audio_call(
        self,
        number,
        audio_url,
        *,
        callback_url=None,
        detect_machine=True,
        caller_id=None,
    ):
        """Call ``number`` and play the public MP3 (5 MB at most) at
        ``audio_url``; return the call's id. As ``create_tts_call``."""
        fields = {"url_audio": audio_url}
        return self._create("audio", fields, number, detect_machine, caller_id)

    def get_account(self):
        """The account (``GET /conta``): a harmless call that proves the
        token.

        :return: Zenvia's account object: ``nome``, ``saldo``...
        """
        return self._request("GET", "/conta")

    def get_call(self, call_id, kind="tts"):
        """A call as ``normalise`` gives it; ``kind`` is ``tts`` or ``audio``."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        return normalise(self._request("GET", f"/{kind}/{call_id}"))
