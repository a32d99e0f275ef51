from services.console.settings import ConsoleSettings
from shared.serve import serve

serve("services.console.app:create_app", ConsoleSettings())
