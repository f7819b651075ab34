"""The chatbots: one engine (trigger selection, sessions, settings, debounce, replies, routes) and a
small backend per bot kind (EvolutionBot, Typebot, OpenAI, Dify, Flowise, n8n, EvoAI).

Adding a kind is a folder with its backend and DTO fields plus one line in `registry.CHATBOT_KINDS`.
"""

from evolution_py.integrations.chatbots import models as models  # the tables join Base.metadata on import
