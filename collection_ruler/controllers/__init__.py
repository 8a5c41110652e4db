from . import whatsapp
from . import twilio
from . import zenvia
from . import voice
from . import portal
from . import pay
from . import letters
