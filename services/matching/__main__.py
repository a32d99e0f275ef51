from services.matching.settings import MatchingSettings
from shared.serve import serve

serve("services.matching.app:create_app", MatchingSettings())
