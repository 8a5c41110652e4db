from . import collection_ruler
from . import collection_ruler_step
from . import collection_ruler_event
from . import account_move
from . import res_company
from . import res_config_settings
from . import res_partner
