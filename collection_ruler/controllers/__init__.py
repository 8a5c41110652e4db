from . import whatsapp
from . import portal
from . import pay
from . import letters
