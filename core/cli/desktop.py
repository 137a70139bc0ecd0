"""`faceshelf install-desktop-entry [--uninstall]`: Faceshelf in the desktop's app launcher."""

from __future__ import annotations


def add_commands(sub) -> None:
    p = sub.add_parser("install-desktop-entry",
                       help="add Faceshelf to the desktop's app launcher (Linux; see README "
                            "for macOS and Windows)")
    p.add_argument("--uninstall", action="store_true", help="remove it from the launcher")
    p.set_defaults(func=cmd_install_desktop_entry)


def cmd_install_desktop_entry(args) -> int:
    from .. import desktop_entry

    if args.uninstall:
        removed = desktop_entry.uninstall()
        print("removed " + " and ".join(map(str, removed)) if removed else
              "there was no Faceshelf desktop entry to remove")
        return 0
    files = desktop_entry.install()
    print(f"added Faceshelf to the launcher: {files.entry} (icon {files.icon})")
    return 0

