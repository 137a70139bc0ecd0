"""The search commands: search (by face, person or outside photo, and by people) and
reindex-search."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from ..text import for_terminal
from .options import id_arg, open_catalog
from .terminal import interruptible, print_json, run_with_progress

log = logging.getLogger("faceshelf")


def add_commands(sub) -> None:
    p = sub.add_parser(
        "search", help="find photos by face, person or outside photo, and by people",
        description="Photos with a face like the query (best match first, one row per photo), "
                    "or, with only --and/--or, the photos of those people. --and/--or/--not "
                    "select by who is assigned in a photo.")
    q = p.add_mutually_exclusive_group()
    q.add_argument("--face", type=id_arg, metavar="ID",
                   help="a face of the library (faces --json)")
    q.add_argument("--person", metavar="NAME|ID",
                   help="all of this person's faces as queries: photos of them, named or not")
    q.add_argument("--photo", metavar="PATH",
                   help="an outside image (nothing from it is stored); with several faces, "
                        "results per face unless --photo-face")
    q.add_argument("--spec", metavar="FILE",
                   help="the whole search as SearchSpec JSON (- for stdin; see --print-spec)")
    p.add_argument("--photo-face", type=id_arg, metavar="N",
                   help="search with face N of --photo")
    p.add_argument("--list-faces", action="store_true",
                   help="with --photo: list the faces found in it and stop")
    p.add_argument("--and", dest="people_all", action="append", default=[], metavar="PERSON",
                   help="photos with this person too (repeat: with all of them)")
    p.add_argument("--or", dest="people_any", action="append", default=[], metavar="PERSON",
                   help="photos with at least one of these people (repeatable)")
    p.add_argument("--not", dest="people_not", action="append", default=[], metavar="PERSON",
                   help="photos without this person (repeatable)")
    p.add_argument("--from", dest="date_from", metavar="DATE", help="taken on or after (ISO)")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="taken on or before (ISO)")
    p.add_argument("--folder", metavar="PATH", help="only photos under this folder")
    p.add_argument("--min-similarity", type=float, metavar="X",
                   help="cosine threshold (default: the calibrated one)")
    p.add_argument("--top", type=int, metavar="K", help="at most K photos (per query face)")
    p.add_argument("--print-spec", action="store_true",
                   help="print the search as SearchSpec JSON (for --spec, export --search-json)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=cmd_search)

    r = sub.add_parser("reindex-search", help="rebuild the face search index now")
    r.add_argument("--kind", choices=("bits", "scan", "annoy"),
                   help="Hamming scan of sign codes, projected exact scan, or annoy trees "
                        "(default: the measured best, see README)")
    r.add_argument("--trees", type=int, metavar="N", help="annoy trees (default: measured)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument("--json", action="store_true", help="print the new index stamp as JSON")
    r.set_defaults(func=cmd_reindex_search)


def _person_ref(text: str):
    return int(text) if text.strip().isdigit() else text


def _search_spec(args):
    from ..search.spec import SearchSpec, read_spec

    if args.spec:
        return read_spec(args.spec, "--spec")
    if args.photo and not os.path.isfile(args.photo):
        raise ValueError(f"--photo {args.photo}: no such file"
                         + (" (it is a folder)" if os.path.isdir(args.photo) else ""))
    return SearchSpec(
        face_id=args.face,
        photo_path=str(Path(args.photo).expanduser().resolve()) if args.photo else None,
        photo_face=args.photo_face,
        similar_to_person=_person_ref(args.person) if args.person else None,
        people_all=[_person_ref(x) for x in args.people_all],
        people_any=[_person_ref(x) for x in args.people_any],
        people_not=[_person_ref(x) for x in args.people_not],
        date_from=args.date_from, date_to=args.date_to, folder=args.folder,
        min_similarity=args.min_similarity, top=args.top)


def _search_row(hit) -> dict:
    row = {"photo": hit.path, "photo_id": hit.photo_id, "face_id": hit.face_id,
           "box": [round(v, 1) for v in hit.box] if hit.box else None,
           "similarity": round(hit.similarity, 4) if hit.similarity is not None else None,
           "person_id": hit.person_id, "person": hit.person_name}
    if hit.query_face is not None:
        row["query_face"] = hit.query_face
    return row


# The search core names a spec's fields; a person who typed flags reads the flags.
SEARCH_FLAGS = {"date_from": "--from", "date_to": "--to", "min_similarity": "--min-similarity",
                 "top": "--top"}


def in_flag_words(message: str, flags: dict[str, str]) -> str:
    """A spec validation message with the field it starts with said as the flag typed (only
    there: an album's name or a path may hold the same word)."""
    field = message.split(" ", 1)[0]
    return flags[field] + message[len(field):] if field in flags else message


def cmd_search(args) -> int:
    try:
        return _search(args)
    except ValueError as error:
        if args.spec:  # a JSON spec: its field names are the right words
            raise
        raise ValueError(in_flag_words(str(error), SEARCH_FLAGS)) from None


def _search(args) -> int:
    from ..search import analyze_outside, search_photos
    from ..search.search_index import SearchIndex, current_model_id

    spec = _search_spec(args)
    if args.print_spec:
        print_json(spec.to_json())
        return 0
    with open_catalog(args, readonly=True) as catalog:
        if args.list_faces and not spec.photo_path:
            raise ValueError("--list-faces goes with --photo")
        if not args.list_faces:
            spec.validate()  # a wrong query is said before the photo is analysed
        # analysed once: the faces listed or counted are those searched with
        photo = (analyze_outside(spec.photo_path, current_model_id(catalog))
                 if spec.photo_path else None)
        if args.list_faces:
            faces = photo.faces
            if args.json:
                print_json([{"face": f.index, "box": [round(v, 1) for v in f.box],
                             "score": round(f.det_score, 3)} for f in faces])
            else:
                for f in faces:
                    print(f"face {f.index}: box {', '.join(f'{v:.0f}' for v in f.box)}  "
                          f"score {f.det_score:.2f}")
                if not faces:
                    print(f"no face found in {for_terminal(spec.photo_path)}")
            return 0
        hits = search_photos(catalog, spec, photo)
        if not hits and photo is not None and not args.json:
            print(_no_match_with_photo(spec, len(photo.faces)))
            return 0
        model_id = current_model_id(catalog)
        index = (SearchIndex.for_catalog(catalog, model_id)
                 if model_id is not None and spec.is_similarity_query else None)
        behind = index is not None and index.needs_rebuild(
            catalog.conn, count_dead=False)  # deleted faces slow nothing down
        damaged = behind and index.damaged
        if damaged:
            _rebuild_damaged_index(catalog, model_id, damaged)  # the answer above was exact
            behind = False
    if args.json:
        print_json([_search_row(h) for h in hits])
    else:
        _print_hits(hits)
    if behind:
        sys.stderr.write("the search index is behind the library (results are complete, but "
                         "slower): run `faceshelf reindex-search`\n")
    return 0


def _no_match_with_photo(spec, faces: int) -> str:
    """What a search by an outside photo that found nothing looked for."""
    photo = for_terminal(spec.photo_path)
    if not faces:
        return f"no face found in {photo}"
    narrowed = (spec.people_all or spec.people_any or spec.people_not or spec.date_from
                or spec.date_to or spec.folder)
    where = "in the photos chosen" if narrowed else "in the library"
    if spec.photo_face is not None:
        return f"face {spec.photo_face} of {photo} is like no face {where}"
    if faces == 1:
        return f"1 face was found in {photo}; it is like no face {where}"
    return (f"{faces} faces were found in {photo}; none of them is like a face "
            f"{where}")


def _rebuild_damaged_index(catalog, model_id: str, why: str) -> None:
    from ..search.search_index import build_index

    log.warning("rebuilding the search index of %s (the one there was not used: %s)",
                catalog.dir, why)
    try:
        for _ in build_index(catalog, model_id):
            pass
    except OSError as error:  # a read-only catalog folder: exact searches until it is writable
        log.warning("could not rebuild the search index: %s", error)


def _print_hits(hits) -> None:

    if not hits:
        print("no photos found")
        return
    current = object()
    for hit in hits:
        if hit.query_face is not None and hit.query_face != current:
            current = hit.query_face
            print(f"-- face {current} of the photo:")
        score = f"{hit.similarity:6.3f}" if hit.similarity is not None else "      "
        who = (f"  [{for_terminal(hit.person_name) or f'person {hit.person_id}'}]"
               if hit.person_id else "")
        print(f"{score}  {for_terminal(hit.path)}  (face {hit.face_id}){who}")


def cmd_reindex_search(args) -> int:
    from dataclasses import asdict

    from ..jobs import Cancelled
    from ..search.search_index import (DEFAULT_KIND, DEFAULT_TREES, build_index, current_model_id,
                               read_stamp)

    token = interruptible()
    with open_catalog(args, readonly=True) as catalog:
        model_id = current_model_id(catalog)
        if model_id is None:
            print("no faces in the catalog: nothing to index")
            return 0
        try:
            run_with_progress(build_index(catalog, model_id, cancel=token,
                                          kind=args.kind or DEFAULT_KIND,
                                          n_trees=args.trees or DEFAULT_TREES),
                              quiet=args.quiet or args.json)
        except Cancelled:
            sys.stderr.write("stopped; the previous search index stays in use\n")
            return 130
        stamp = read_stamp(catalog.index_dir, model_id)
    if args.json:
        print_json(asdict(stamp))
    else:
        size = f"{stamp.dims} bits" if stamp.kind == "bits" else f"{stamp.dims} d"
        print(f"search index ({stamp.kind}, {size}): {stamp.count} faces, "
              f"{stamp.build_seconds:.1f} s")
    return 0

