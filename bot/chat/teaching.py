"""Admins teach from /unanswered: each group gets buttons, each press is checked and applied."""

from __future__ import annotations

import asyncio
import logging

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot import i18n
from bot.chat import render
from bot.chat.handlers import (
    Services,
    _admin_question_log,
    _days,
    _send_plain_report,
    button,
    reader_language,
    services,
)
from bot.curation.grouping import UnansweredGroup
from bot.curation.report import format_unanswered
from bot.curation.teach import Group
from bot.engine.model import Snapshot, Suggestion

log = logging.getLogger(__name__)

TEACH_GROUPS = 5  # groups of /unanswered offered with teaching buttons
MORE_ENTRIES = 8  # entries "Other entry…" lists beyond the closest three


def _closest(
    snapshot: Snapshot, group: UnansweredGroup, skip: int = 0, count: int = 3
) -> list[Suggestion]:
    """Entries closest to the group's question, the one readers were offered first."""
    ids = [group.closest_entry] if group.closest_entry in snapshot.entries else []
    for match in snapshot.index.search(
        group.question, limit=skip + count + len(snapshot.declined) + 1
    ):
        if match.entry.id in snapshot.entries and match.entry.id not in ids:
            ids.append(match.entry.id)
    if len(ids) < skip + count:  # then the rest of the entries, in file order
        ids += [entry_id for entry_id in snapshot.entries if entry_id not in ids]
    return [Suggestion(i, snapshot.entries[i].question) for i in ids[skip : skip + count]]


def is_teaching(data: object) -> bool:
    """True for the callback data of teaching buttons (the pattern of their handler)."""
    return isinstance(data, str) and data.startswith((f"{render.TEACH}:", f"{render.UNDO}:"))


async def unanswered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins: the commonest questions of the last N days the bot failed on, with buttons."""
    question_log = await _admin_question_log(update, context)
    if question_log is None:
        return
    svc = services(context)
    days = _days(context.args, default=7)
    snapshot = svc.holder.snapshot
    groups = await asyncio.to_thread(question_log.unanswered, days, index=snapshot.index)
    teacher = svc.teacher
    if teacher is not None:
        ignored = await asyncio.to_thread(teacher.store.ignored)
        groups = [g for g in groups if not set(g.examples) <= ignored]
    await _send_plain_report(update, format_unanswered(groups, days))
    if teacher is None:
        return
    for number, group in enumerate(groups[:TEACH_GROUPS], 1):
        group_id = await asyncio.to_thread(teacher.store.save_group, group.question, group.examples)
        reply = render.teach_group_reply(number, group, group_id, _closest(snapshot, group))
        await update.effective_message.reply_html(reply.text, reply_markup=reply.keyboard)


async def teach_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins' teaching buttons: add to an entry, pick another, not in the story, ignore, undo."""
    query = update.callback_query
    if not is_teaching(query.data):  # PTB passes buttons without data to every handler
        await button(update, context)
        return
    svc = services(context)
    if not svc.is_admin(update):
        user = update.effective_user
        log.warning(
            "refused a teaching button from non-admin user id %s", user.id if user else None
        )
        refusal = i18n.translator(reader_language(update)).gettext(
            "Sorry, only the bot's admins can teach it."
        )
        await query.answer(refusal, show_alert=True)
        return
    parsed = render.parse_callback(query.data)
    teacher = svc.teacher
    if parsed is None or teacher is None:
        await query.answer("Sorry, teaching is not available.", show_alert=True)
        return
    prefix, args = parsed
    admin_id = update.effective_user.id
    if prefix == render.UNDO:
        await query.answer()
        result = await teacher.undo(admin_id, [int(i) for i in args[0].split("-")])
        await _show(query.message, render.teach_result_reply(result.ok, result.message))
        return
    group = await asyncio.to_thread(teacher.store.group, int(args[0]))
    if group is None:
        await query.answer("Sorry, that group is no longer available: send /unanswered again.")
        return
    await query.answer()
    await _show(query.message, await _teach(svc, admin_id, group, args[1], args[2:]))


async def _teach(
    svc: Services, admin_id: int, group: Group, action: str, rest: list[str]
) -> render.Reply:
    """Apply one teaching press; the reply that tells the admin what happened."""
    teacher = svc.teacher
    assert teacher is not None  # checked by the caller
    if action == render.TEACH_MORE:
        snapshot = svc.holder.snapshot
        page = int(rest[0]) if rest else 0
        skip = 3 + page * MORE_ENTRIES
        offered = UnansweredGroup(group.question, 0, {}, 0, 0, None, "", group.variants)
        entries = _closest(snapshot, offered, skip=skip, count=MORE_ENTRIES)
        more = page + 1 if skip + MORE_ENTRIES < len(snapshot.entries) else None
        return render.teach_entries_reply(group.question, group.id, entries, more)
    if action == render.TEACH_ADD:
        result = await teacher.add_phrasings(admin_id, group, rest[0])
    elif action == render.TEACH_DECLINE:
        result = await teacher.decline(admin_id, group)
    else:
        result = await teacher.ignore(admin_id, group)
    return render.teach_result_reply(result.ok, result.message, result.teaching_ids)


async def _show(message: object, reply: render.Reply) -> None:
    if isinstance(message, Message):
        await message.reply_html(reply.text, reply_markup=reply.keyboard)
