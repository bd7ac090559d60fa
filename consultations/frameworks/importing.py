"""Importing a checked framework (a new version, or updating the same one) and looking frameworks
and their current items up."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Framework, FrameworkItem, utcnow
from .spec import FrameworkSpec, ImportReport, UnknownFramework


# ---------------------------------------------------------------------------------------- import


def import_framework(session: Session, spec: FrameworkSpec) -> ImportReport:
    """Create or update the framework ``spec`` describes; flush, never commit.

    The same key and version is updated in place: items are matched by code and keep their ids
    so every link survives; items missing from the file are retired (and revived if they come
    back). A new version of a key becomes a new framework alongside the old one.
    """
    framework = session.scalar(
        select(Framework).where(Framework.key == spec.key, Framework.version == spec.version)
    )
    if framework is None:
        framework = Framework(key=spec.key, version=spec.version, name=spec.name, kind=spec.kind,
                              source=spec.source)
        session.add(framework)
        existing: dict[str, FrameworkItem] = {}
    else:
        _assign(framework, name=spec.name, kind=spec.kind, source=spec.source)
        existing = {
            item.code: item
            for item in session.scalars(
                select(FrameworkItem).where(FrameworkItem.framework_id == framework.id)
            )
        }

    report = ImportReport(framework=framework)
    imported: dict[str, FrameworkItem] = {}
    for spec_item in spec.items:  # parents come before their children
        values = dict(
            title=spec_item.title,
            text=spec_item.text,
            aliases=list(spec_item.aliases),
            verified=spec_item.verified,
            position=spec_item.position,
            retired_at=None,
        )
        parent = imported[spec_item.parent_code] if spec_item.parent_code else None
        item = existing.get(spec_item.code)
        if item is None:
            item = FrameworkItem(framework=framework, code=spec_item.code, parent=parent, **values)
            session.add(item)
            report.created += 1
        else:
            changed = _assign(item, **values)
            if item.parent is not parent:
                item.parent = parent
                changed = True
            if changed:
                report.updated += 1
            else:
                report.unchanged += 1
        imported[spec_item.code] = item

    now = utcnow()
    for code, item in existing.items():
        if code not in imported and item.retired_at is None:
            item.retired_at = now
            report.retired += 1

    if framework.id is not None and (report.created or report.updated or report.retired):
        framework.updated_at = now
    session.flush()
    return report


def _assign(obj: Any, **values: Any) -> bool:
    """Set only the attributes that differ, so an unchanged re-import writes nothing."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def frameworks_for(session: Session, key: str | None = None) -> list[Framework]:
    """The framework(s) references should resolve against.

    With a key: a one-element list holding the version of that key imported most recently
    (re-importing an older version to correct it does not make it current). Without a key:
    the current version of every key, so one code never matches twice across versions.
    """
    frameworks = session.scalars(
        select(Framework).order_by(Framework.key, Framework.created_at.desc(), Framework.id.desc())
    ).all()
    latest: dict[str, Framework] = {}
    for framework in frameworks:
        latest.setdefault(framework.key, framework)
    if key is None:
        return list(latest.values())
    if key not in latest:
        raise UnknownFramework(key, sorted(latest))
    return [latest[key]]


def current_items(session: Session, key: str | None = None) -> list[FrameworkItem]:
    """The items references resolve against: current versions only, retired items left out."""
    ids = [framework.id for framework in frameworks_for(session, key)]
    if not ids:
        return []
    return list(
        session.scalars(
            select(FrameworkItem).where(
                FrameworkItem.framework_id.in_(ids), FrameworkItem.retired_at.is_(None)
            )
        )
    )


def frameworks_with_item_counts(session: Session) -> list[tuple[Framework, int, int]]:
    """Every framework with its number of items and of retired items, by name (one query)."""
    items = (
        select(FrameworkItem.framework_id, func.count().label("n"),
               func.count(FrameworkItem.retired_at).label("retired"))
        .group_by(FrameworkItem.framework_id)
        .subquery()
    )
    return [tuple(row) for row in session.execute(
        select(Framework, func.coalesce(items.c.n, 0), func.coalesce(items.c.retired, 0))
        .outerjoin(items, items.c.framework_id == Framework.id)
        .order_by(Framework.name, Framework.version)
    )]

