from . import whatsapp
from . import twilio
