"""The settings schemas' required fields, per kind family (upstream's validate/*.schema.ts)."""

BASIC = ("expire", "keywordFinish", "delayMessage", "unknownMessage", "listeningFromMe", "stopBotFromMe")
WITH_SESSION = (*BASIC, "keepOpen", "debounceTime", "ignoreJids")
WITH_SPLIT = (*WITH_SESSION, "splitMessages", "timePerChar")
