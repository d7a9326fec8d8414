"""Electronic bids: sealing, receipts, online decryption and the opening record (cn-rules §9.3–9.4).

电子招标投标办法 (2013) is not among the statute texts shipped in ``reference/laws``; the article
numbers below follow cn-rules.md §9.3–9.4 (第31条 read verbatim there; 第25–27、30条 marked ◐).
"""

from __future__ import annotations

from tenderhub.core.rules.model import Unit, rule

EBID = "电子招标投标办法"
REG = "招标投标法实施条例"

RULES = [
    rule("UNSEALED_BID_REFUSED", "works gp", [(EBID, 25)],
         ("未加密的投标文件", "Unencrypted bid"),
         ("投标文件未按规定加密，交易平台应当拒收并提示（本项目要求加密投标）",
          "an unencrypted bid is refused with a prompt: this tender takes sealed (encrypted) bids only"),
         None, key="unsealed_bid_refused"),
    rule("SEALED_UPLOAD_BEFORE_DEADLINE", "works gp", [(EBID, 26)],
         ("投标文件传输时限", "Upload before the deadline"),
         ("投标人应当在投标截止时间前完成投标文件的传输递交；投标截止时间前未完成传输的，视为撤回投标文件（截止时间 {deadline}）",
          "the upload must be complete before the deadline; an unfinished upload counts as withdrawn (deadline {deadline})"),
         None, key="sealed_upload_before_deadline"),
    rule("SEALED_SIGNATURE_INVALID", "works gp", [(EBID, 27), ("电子签名法", 13)],
         ("投标文件电子签名", "Signature of the sealed bid"),
         ("投标文件密文的电子签名无法验证，交易平台不予接收（{detail}）",
          "the signature over the sealed bid does not verify, so the platform cannot accept it ({detail})"),
         None, key="sealed_signature_invalid"),
    rule("NO_DECRYPTION_BEFORE_OPENING", "works gp", [(EBID, 27)],
         ("开标前不得解密", "No decryption before the opening"),
         ("投标截止时间前，任何单位和个人不得解密、提取投标文件（开标时间 {deadline}）",
          "nobody may decrypt or extract a bid before the deadline ({deadline})"),
         None, key="no_decryption_before_opening"),
    rule("DECRYPTION_WINDOW", "works gp", [(EBID, 30)],
         ("在线解密时限", "Online decryption window"),
         ("投标人应当在招标文件规定的解密时限内在线解密（解密截止 {closes}）",
          "bidders decrypt online within the window the tender documents set (closes {closes})"),
         30, Unit.NONE, key="decryption_window"),
    rule("DECRYPTION_FAILURE", "works gp", [(EBID, 31)],
         ("解密失败的处理", "Decryption failure"),
         ("因投标人原因投标文件未解密的，视为撤销其投标文件；因投标人之外的原因造成投标文件未解密的，视为撤回其投标文件（{bidder}：{detail}）",
          "a bid not decrypted by the bidder's fault is revoked; by anyone else's fault it is withdrawn ({bidder}: {detail})"),
         None, key="decryption_failure"),
    rule("OPENING_OBJECTION_ON_THE_SPOT", "works", [(REG, 44)],
         ("开标异议", "Objection at the opening"),
         ("投标人对开标有异议的，应当在开标现场提出，招标人应当当场作出答复，并制作记录（开标记录已于 {closed} 确认）",
          "objections to the opening are raised at the opening and answered on the spot (the record was closed {closed})"),
         None, key="opening_objection_on_the_spot"),
]
