from services.collection.settings import CollectionSettings
from shared.serve import serve

serve("services.collection.app:create_app", CollectionSettings())
