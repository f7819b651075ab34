"""whatsmeow (waE2E) field name → Baileys (WAProto) field name, where they differ only by case.

Generated from `shared/notes/whatsmeow-baileys-field-renames.json` (a field-number comparison of the
two .proto files). An explicit table, because a generic acronym rule gets `…CDNURL`/`…IDs` wrong and wrongly
renames `deviceID`/`deviceAgentID`, which Baileys keeps."""

from __future__ import annotations

import re

FIELD_RENAMES: dict[str, str] = {
    "FBID": "fbid",
    "HMAC": "hmac",
    "ID": "id",
    "JID": "jid",
    "JPEGThumbnail": "jpegThumbnail",
    "PTT": "ptt",
    "URL": "url",
    "accountID": "accountId",
    "agentID": "agentId",
    "attachmentFileEncSHA256": "attachmentFileEncSha256",
    "attachmentFileSHA256": "attachmentFileSha256",
    "attachmentJPEGThumbnail": "attachmentJpegThumbnail",
    "bizJID": "bizJid",
    "botMessageInvokerJID": "botMessageInvokerJid",
    "businessOwnerJID": "businessOwnerJid",
    "buttonID": "buttonId",
    "buttonParamsJSON": "buttonParamsJson",
    "callCreatorJID": "callCreatorJid",
    "callID": "callId",
    "campaignID": "campaignId",
    "chatJID": "chatJid",
    "clientTimestampMS": "clientTimestampMs",
    "consentedUsersURL": "consentedUsersUrl",
    "credentialID": "credentialId",
    "deliveredDeviceJID": "deliveredDeviceJid",
    "destinationJID": "destinationJid",
    "deviceExpID": "deviceExpId",
    "deviceIDHint": "deviceIdHint",
    "deviceJID": "deviceJid",
    "eSkeyID": "eSkeyId",
    "encIV": "encIv",
    "experimentGroupID": "experimentGroupId",
    "expressPathURL": "expressPathUrl",
    "fbAppID": "fbAppId",
    "fbDeviceID": "fbDeviceId",
    "fileEncSHA256": "fileEncSha256",
    "fileSHA256": "fileSha256",
    "firstFourBytesFromAHashOfSnapshotMACKey": "firstFourBytesFromAHashOfSnapshotMacKey",
    "firstImageID": "firstImageId",
    "groupJID": "groupJid",
    "initiatorDeviceJID": "initiatorDeviceJid",
    "invokerJID": "invokerJid",
    "keyID": "keyId",
    "keyIDs": "keyIds",
    "lastStickerSentTS": "lastStickerSentTs",
    "leaveTS": "leaveTs",
    "lidJID": "lidJid",
    "mediaCiphertextSHA256": "mediaCiphertextSha256",
    "mediaID": "mediaId",
    "mediaKeyTimestampMS": "mediaKeyTimestampMs",
    "mediaURL": "mediaUrl",
    "mentionedJID": "mentionedJid",
    "messageParamsJSON": "messageParamsJson",
    "midQualityFileEncSHA256": "midQualityFileEncSha256",
    "midQualityFileSHA256": "midQualityFileSha256",
    "msgOrderID": "msgOrderId",
    "newJID": "newJid",
    "newPhotoID": "newPhotoId",
    "newsletterJID": "newsletterJid",
    "newsletterServerID": "newsletterServerId",
    "objectID": "objectId",
    "oldJID": "oldJid",
    "oldestMsgID": "oldestMsgId",
    "oldestMsgTimestampMS": "oldestMsgTimestampMs",
    "orderID": "orderId",
    "orderRequestMessageID": "orderRequestMessageId",
    "originalMessageID": "originalMessageId",
    "originalSelfAuthorUserJIDString": "originalSelfAuthorUserJidString",
    "paramsJSON": "paramsJson",
    "parentGroupID": "parentGroupId",
    "parentGroupJID": "parentGroupJid",
    "patchMAC": "patchMac",
    "peerDataRequestSessionID": "peerDataRequestSessionId",
    "peerJID": "peerJid",
    "pendingDeviceJID": "pendingDeviceJid",
    "personaID": "personaId",
    "phoneID": "phoneId",
    "pnJID": "pnJid",
    "predefinedID": "predefinedId",
    "privacyModeTS": "privacyModeTs",
    "productID": "productId",
    "profilePhotoCDNURL": "profilePhotoCdnUrl",
    "progressiveJPEGDetails": "progressiveJpegDetails",
    "rawID": "rawId",
    "receiverJID": "receiverJid",
    "remoteJID": "remoteJid",  # waCommon.MessageKey / ContextInfo: missing from the generated table
    "requestURLPreview": "requestUrlPreview",
    "retailerID": "retailerId",
    "rowID": "rowId",
    "scheduledCallID": "scheduledCallId",
    "scheduledTimestampMS": "scheduledTimestampMs",
    "searchProviderURL": "searchProviderUrl",
    "selectedButtonID": "selectedButtonId",
    "selectedID": "selectedId",
    "selectedRowID": "selectedRowId",
    "sellerJID": "sellerJid",
    "senderTimestampMS": "senderTimestampMs",
    "serverCampaignID": "serverCampaignId",
    "serverMessageID": "serverMessageId",
    "serverTimestampMS": "serverTimestampMs",
    "sessionID": "sessionId",
    "smbClientCampaignID": "smbClientCampaignId",
    "smbServerCampaignID": "smbServerCampaignId",
    "snapshotMAC": "snapshotMac",
    "sortedLabelIDs": "sortedLabelIds",
    "sourceID": "sourceId",
    "sourceURL": "sourceUrl",
    "stanzaID": "stanzaId",
    "staticURL": "staticUrl",
    "stickerSentTS": "stickerSentTs",
    "supportsURLMessages": "supportsUrlMessages",
    "templateID": "templateId",
    "threadIDUserSecret": "threadIdUserSecret",
    "thumbnailCDNURL": "thumbnailCdnUrl",
    "thumbnailEncSHA256": "thumbnailEncSha256",
    "thumbnailSHA256": "thumbnailSha256",
    "thumbnailURL": "thumbnailUrl",
    "timestampMS": "timestampMs",
    "userJID": "userJid",
    "videoPlaybackURL": "videoPlaybackUrl",
}


# Baileys keeps these as whatsmeow spells them; the fallback rule below would change them.
KEEP_AS_IS = frozenset({"deviceID", "deviceAgentID"})
_ACRONYM = re.compile(r"([A-Z]{2,})(?=[A-Z][a-z]|$)")


def baileys_name(name: str) -> str:
    """The table first; for fields newer than the table, lower-case acronym runs (`actionURL` → `actionUrl`)."""
    known = FIELD_RENAMES.get(name)
    if known is not None:
        return known
    if name in KEEP_AS_IS or not _ACRONYM.search(name):
        return name
    renamed = _ACRONYM.sub(lambda match: match.group(1)[0] + match.group(1)[1:].lower(), name)
    return renamed[0].lower() + renamed[1:]
