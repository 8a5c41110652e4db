"""HTTP calls to collection providers: one timeout, one error model.

Every provider client (``whatsapp_cloud.py`` and the ones after it) calls
``request``. A timeout, a connection error, a 429 or a 5xx raise
``ProviderTransientError``, which the engine retries later (a timeout and a
connection error as its ``ProviderUnreachableError``, so that a person can be
told to check the network); any other error raises ``ProviderError`` with the
provider's own message, which fails the event.
"""

import requests

from ..models.collection_channel import CollectionTransientError

TIMEOUT = 15  # seconds, connect and read


class ProviderError(Exception):
    """A provider refused the request for good (a 4xx other than 429)."""

    def __init__(self, message, status=None, code=None):
        super().__init__(message)
        self.status = status
        self.code = code


class ProviderTransientError(CollectionTransientError):
    """A passing failure: a timeout, no connection, a 429 or a 5xx."""


class ProviderUnreachableError(ProviderTransientError):
    """No answer at all: the connection failed or timed out."""


def request(method, url, *, parse_error, timeout=None, **kwargs):
    """Call a provider and return its decoded JSON answer (or None).

    :param parse_error: called with the ``requests.Response`` of an error;
        returns (message, code) as the provider states them
    :raises ProviderUnreachableError: timeout, connection error
    :raises ProviderTransientError: 429, 5xx
    :raises ProviderError: any other 4xx, or an answer that is not JSON
    """
    try:
        response = requests.request(method, url, timeout=timeout or TIMEOUT, **kwargs)
    except (requests.Timeout, requests.ConnectionError) as error:
        raise ProviderUnreachableError(f"{type(error).__name__}: {error}") from error
    if response.status_code == 429 or response.status_code >= 500:
        message, _code = parse_error(response)
        raise ProviderTransientError(f"HTTP {response.status_code}: {message}")
    if response.status_code >= 400:
        message, code = parse_error(response)
        raise ProviderError(message, status=response.status_code, code=code)
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as error:
        raise ProviderError(f"Not a JSON answer: {response.text[:200]}") from error
