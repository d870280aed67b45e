#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""nlgen.py - memvirt's netlink contract, generated from its one spec.

Documentation/netlink/specs/memvirt.yaml is the source. The kernel's own
generator, tools/net/ynl/ynl-gen-c.py (Debian's linux-source-6.12), writes
the UAPI header; this script writes what ynl-gen-c cannot write for us
(scripts/nl-regen.sh runs both):

  uapi-doc IN    ynl-gen-c's UAPI header with the spec's documentation
                 added: ynl-gen-c 6.12 documents enums and flags only, not
                 the family, the commands, constants or attributes.
  kernel-h, kernel-c
                 kmod/netlink-gen.[ch]: per-command policies and the op
                 table. ynl-gen-c's kernel mode writes "split" ops
                 (struct genl_split_ops, Linux 6.2+), and its "per-op"
                 mode (struct genl_ops, which 6.1 has) takes the policy
                 from "do" only, cannot express start/done and is not
                 offered for genetlink-c families: so struct genl_ops, one
                 policy per command, start/done from the spec's dump
                 pre/post, written here. The family struct stays in
                 netlink.c: ynl-gen-c's would register in every netns.
  user-h, user-c user/lib/nl-gen.[ch]: libnl-3 reply policies, one per
                 attribute set (ynl-gen-c's user mode targets libynl).
  selftests-h    selftests/lib/memvirt_nl_gen.h: the attribute sets as tables
                 (kind, nesting, multi-attr, string limit, name) and each
                 command's set and reply, for parsers that check replies
                 against the spec.

Only python3-yaml is needed. Every name is derived as ynl-gen-c derives
it, and every table refers to the UAPI header's names, never to numbers:
a difference between the two fails the build.
"""
import argparse
import os
import sys

import yaml

SPEC_REL = 'Documentation/netlink/specs/memvirt.yaml'


def c_upper(name):
    return name.upper().replace('-', '_')


def c_lower(name):
    return name.lower().replace('-', '_')


class Attr:
    def __init__(self, aset, y, value):
        self.set = aset
        self.y = y
        self.name = y['name']
        self.type = y['type']
        self.value = value
        self.doc = y.get('doc', '')
        self.checks = y.get('checks', {})
        self.multi = bool(y.get('multi-attr', False))
        self.nested = y.get('nested-attributes')
        self.enum = y.get('enum')
        self.enum_as_flags = bool(y.get('enum-as-flags', False))
        self.enum_name = c_upper(y.get('name-prefix', aset.prefix) + self.name)


class AttrSet:
    def __init__(self, family, y):
        self.name = y['name']
        if 'subset-of' in y:
            raise SystemExit(f'nlgen: attribute set {self.name}: subset-of is not supported')
        self.prefix = y.get('name-prefix', f"{family}-a-{self.name}-")
        self.enum_name = c_lower(y.get('enum-name', f"{family}-{self.name}"))
        self.max_name = c_upper(y.get('attr-max-name', self.prefix + 'max'))
        self.doc = y.get('doc', '')
        self.attrs = []
        val = 1
        for a in y['attributes']:
            val = a.get('value', val)
            self.attrs.append(Attr(self, a, val))
            val += 1
        self.by_name = {a.name: a for a in self.attrs}

    def attr(self, name):
        return self.by_name[name]


class Op:
    def __init__(self, spec, y, value):
        self.y = y
        self.name = y['name']
        self.value = value
        self.doc = y.get('doc', '')
        self.enum_name = c_upper(spec.op_prefix + self.name)
        self.set = spec.sets[y['attribute-set']] if 'attribute-set' in y else None
        self.do = y.get('do')
        self.dump = y.get('dump')

    def request(self, mode):
        sub = self.y.get(mode) or {}
        return [self.set.attr(n) for n in sub.get('request', {}).get('attributes', [])]

    def reply(self):
        names = []
        for mode in ('do', 'dump'):
            sub = self.y.get(mode) or {}
            for n in sub.get('reply', {}).get('attributes', []):
                if n not in names:
                    names.append(n)
        return [self.set.attr(n) for n in names]


class Spec:
    def __init__(self, path):
        with open(path) as f:
            self.y = yaml.safe_load(f)
        y = self.y
        self.family = y['name']
        self.ident = c_lower(self.family)
        self.defs = {d['name']: d for d in y.get('definitions', [])}
        self.sets = {}
        for s in y['attribute-sets']:
            self.sets[s['name']] = AttrSet(self.family, s)
        ops = y['operations']
        self.op_prefix = ops.get('name-prefix', f"{self.family}-cmd-")
        self.op_enum = c_lower(ops.get('enum-name', f"{self.family}-cmd") or '')
        self.cmd_max = c_upper(y.get('cmd-max-name', self.op_prefix + 'max'))
        self.ops = []
        val = 1
        for o in ops['list']:
            val = o.get('value', val)
            self.ops.append(Op(self, o, val))
            val += 1

    def handlers(self):
        """The ops the kernel serves: those with a do or a dump."""
        return [op for op in self.ops if op.do is not None or op.dump is not None]

    def enum_c(self, name):
        """How the UAPI header names a definition's enum, for the docs."""
        d = self.defs[name]
        if 'enum-name' not in d:
            return 'enum ' + c_lower(f"{self.family}-{name}")
        if d['enum-name']:
            return 'enum ' + c_lower(d['enum-name'])
        return c_upper(d.get('name-prefix', f"{self.family}-{name}-")) + '*'


def banner(out, mode, comment='/*'):
    lic = 'GPL-2.0'
    if comment == '//':
        out.append(f'// SPDX-License-Identifier: {lic}')
    else:
        out.append(f'/* SPDX-License-Identifier: {lic} */')
    out.append('/* Do not edit directly, auto-generated from: */')
    out.append(f'/*\t{SPEC_REL} */')
    out.append(f'/* nlgen {mode} (scripts/nlgen.py; make regen) */')
    out.append('')


def paragraphs(doc):
    paras, cur = [], []
    for line in doc.splitlines():
        if line.strip():
            cur.append(line.strip())
        elif cur:
            paras.append(' '.join(cur))
            cur = []
    if cur:
        paras.append(' '.join(cur))
    return paras


def doc_lines(text, first=' *', cont=' *  '):
    """Word-wrapped comment lines, as ynl-gen-c's write_doc_line wraps."""
    lines = []
    line = first
    for word in text.split():
        if len(line) + len(word) >= 79 and line.strip(' *'):
            lines.append(line)
            line = cont
        line += ' ' + word
    lines.append(line)
    return lines


def kdoc(title, members):
    """A kernel-doc block: title, then @member: text (paragraphs kept)."""
    out = ['/**']
    out += doc_lines(title)
    for name, text in members:
        paras = paragraphs(text) or ['']
        out += doc_lines(f'@{name}: {paras[0]}'.rstrip())
        for p in paras[1:]:
            out += doc_lines(p, first=' *  ')
    out.append(' */')
    return out


def one_line(text):
    return ' '.join(' '.join(paragraphs(text)).split())


# ---------------------------------------------------------------- UAPI docs

def attr_type_doc(spec, a):
    t = a.type
    if t == 'pad':
        return '(pad) Padding for the 64-bit attributes.'
    if t == 'string' and 'max-len' in a.checks:
        t = f"string, at most {a.checks['max-len']} bytes and a NUL"
    elif a.nested:
        t = f'nest of enum {spec.sets[a.nested].enum_name}'
    elif a.enum:
        d = spec.defs[a.enum]
        if d['type'] == 'flags' or a.enum_as_flags:
            t = f'{a.type}: flags of {spec.enum_c(a.enum)}'
        else:
            t = f'{a.type}: {spec.enum_c(a.enum)}'
    if a.multi:
        t += ', multi-attr'
    return f'({t})'


def op_type_doc(op):
    parts = []
    for mode in ('do', 'dump'):
        if getattr(op, mode) is None:
            continue
        req = op.request(mode)
        if req:
            parts.append(f"{mode}: request {', '.join(a.enum_name for a in req)}")
        else:
            parts.append(mode)
    if not parts:
        return ''
    return '(' + '; '.join(parts) + f'; replies enum {op.set.enum_name}) '


def uapi_doc(spec, lines):
    """Adds the spec's documentation to ynl-gen-c's UAPI header."""
    inserts = {}     # line index -> lines to put before it

    def anchor(pred, what):
        hits = [i for i, ln in enumerate(lines) if pred(ln)]
        if len(hits) != 1:
            raise SystemExit(f'nlgen: ynl-gen-c output: {len(hits)} lines for {what}, want 1')
        return hits[0]

    def add(i, block):
        inserts.setdefault(i, []).extend(block)

    guard = f'#ifndef _UAPI_LINUX_{c_upper(spec.family)}_H'
    fam = ['/*']
    for n, p in enumerate(paragraphs(spec.y.get('doc', ''))):
        if n:
            fam.append(' *')
        fam += doc_lines(p, cont=' *')
    fam += [' */']
    add(anchor(lambda ln: ln == guard, guard), fam)

    for d in spec.y.get('definitions', []):
        if d['type'] != 'const' or not d.get('doc'):
            continue
        name = c_upper(f"{spec.family}-{d['name']}")
        i = anchor(lambda ln, n=name: ln.startswith(f'#define {n}\t'), name)
        text = one_line(d['doc'])
        if len(text) + 6 <= 80:
            add(i, [f'/* {text} */'])
        else:
            add(i, ['/*'] + doc_lines(text, cont=' *') + [' */'])

    for s in spec.sets.values():
        members = [(a.enum_name, f'{attr_type_doc(spec, a)} {one_line(a.doc)}'.rstrip())
                   for a in s.attrs if a.type != 'unused']
        i = anchor(lambda ln, e=s.enum_name: ln == f'enum {e} {{', s.enum_name)
        add(i, kdoc(f'enum {s.enum_name} - {one_line(s.doc)}', members))

    members = []
    for op in spec.ops:
        paras = paragraphs(op.doc)
        if paras:
            paras[0] = op_type_doc(op) + paras[0]
        members.append((op.enum_name, '\n\n'.join(paras)))
    i = anchor(lambda ln: ln == f'enum {spec.op_enum} {{', spec.op_enum)
    add(i, kdoc(f'enum {spec.op_enum} - The commands of the family: request, reply '
                'and what each does.', members))

    out = []
    for i, ln in enumerate(lines):
        out += inserts.get(i, [])
        out.append(ln)
        if i == 3 and ln.startswith('/* YNL-GEN'):
            out.append('/* Documentation added by scripts/nlgen.py uapi-doc; make regen */')
    return out


# ------------------------------------------------------------------- kernel

def kernel_policy_name(spec, op):
    return f'{spec.ident}_{c_lower(op.name)}_nl_policy'


def kernel_handler(spec, op, mode):
    return f'{spec.ident}_nl_{c_lower(op.name)}_{mode}it'


def kernel_request(spec, op):
    """The one policy of a genl_ops command: its do and dump requests."""
    do, dump = op.request('do'), op.request('dump')
    if do and dump and [a.name for a in do] != [a.name for a in dump]:
        raise SystemExit(f'nlgen: {op.name}: struct genl_ops has one policy per command; '
                         'do and dump requests must match or one must be absent')
    return do or dump


def kernel_attr_policy(spec, a):
    if a.type == 'string':
        t = 'NLA_STRING' if a.checks.get('unterminated-ok') else 'NLA_NUL_STRING'
        if 'max-len' in a.checks:
            return f"{{ .type = {t}, .len = {a.checks['max-len']}, }}"
        return f'{{ .type = {t}, }}'
    if a.type in ('u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64'):
        t = 'NLA_' + c_upper(a.type)
        lo, hi = a.checks.get('min'), a.checks.get('max')
        if lo is not None and hi is not None:
            return f'NLA_POLICY_RANGE({t}, {lo}, {hi})'
        if lo is not None:
            return f'NLA_POLICY_MIN({t}, {lo})'
        if hi is not None:
            return f'NLA_POLICY_MAX({t}, {hi})'
        return f'{{ .type = {t}, }}'
    if a.type == 'flag':
        return '{ .type = NLA_FLAG, }'
    raise SystemExit(f'nlgen: {a.set.name} {a.name}: a {a.type} in a request is not '
                     'supported yet; teach scripts/nlgen.py its kernel policy')


def check_op_keys(op):
    for key in op.y:
        if key not in ('name', 'doc', 'value', 'attribute-set', 'do', 'dump', 'flags'):
            raise SystemExit(f'nlgen: {op.name}: "{key}" is not supported by scripts/nlgen.py')
    if op.do and ('pre' in op.do or 'post' in op.do):
        raise SystemExit(f'nlgen: {op.name}: do pre/post need struct genl_split_ops '
                         '(Linux 6.2+); struct genl_ops has none')


def kernel_h(spec):
    out = []
    banner(out, 'kernel header')
    guard = f'_{c_upper(spec.family)}_NETLINK_GEN_H'
    out += [f'#ifndef {guard}', f'#define {guard}', '',
            '#include <net/netlink.h>', '#include <net/genetlink.h>', '',
            f'#include <linux/{spec.family}.h>', '']
    ops = spec.handlers()
    out.append(f'extern const struct genl_ops {spec.ident}_nl_ops[{len(ops)}];')
    out.append('')
    hooks = []
    for op in ops:
        for key in ('pre', 'post'):
            if op.dump and key in op.dump and op.dump[key] not in hooks:
                hooks.append(op.dump[key])
    for h in hooks:
        out += func_proto('int', c_lower(h), ['struct netlink_callback *cb'])
    if hooks:
        out.append('')
    for op in ops:
        if op.do is not None:
            out += func_proto('int', kernel_handler(spec, op, 'do'),
                              ['struct sk_buff *skb', 'struct genl_info *info'])
        if op.dump is not None:
            out += func_proto('int', kernel_handler(spec, op, 'dump'),
                              ['struct sk_buff *skb', 'struct netlink_callback *cb'])
    out += ['', f'#endif /* {guard} */']
    return out


def func_proto(ret, name, args):
    """A prototype on one line, or wrapped with its arguments aligned."""
    line = f"{ret} {name}({', '.join(args)});"
    if len(line) < 80:
        return [line]
    col = len(ret) + 1 + len(name) + 1
    indent = '\t' * (col // 8) + ' ' * (col % 8)
    lines = [f'{ret} {name}({args[0]},']
    for n, a in enumerate(args[1:]):
        lines.append(indent + a + (');' if n == len(args) - 2 else ','))
    return lines


def struct_init(members):
    longest = max(len(m[0]) for m in members) + 1
    longest = ((longest + 8) // 8) * 8
    lines = []
    for name, val in members:
        line = '.' + name
        line += '\t' * ((longest - len(name) - 1 + 7) // 8)
        lines.append(line + '= ' + val + ',')
    return lines


def kernel_c(spec):
    out = []
    banner(out, 'kernel source', '//')
    out += ['#include <net/netlink.h>', '#include <net/genetlink.h>', '',
            '#include "netlink-gen.h"', '']
    ops = spec.handlers()
    table = []
    for op in ops:
        check_op_keys(op)
        req = kernel_request(spec, op)
        pol = kernel_policy_name(spec, op)
        if req:
            maxattr = max(req, key=lambda a: a.value).enum_name
            out.append(f'/* {op.enum_name}: the request policy of do and dump */')
            out.append(f'static const struct nla_policy {pol}[{maxattr} + 1] = {{')
            for a in req:
                out.append(f'\t[{a.enum_name}] = {kernel_attr_policy(spec, a)},')
            out.append('};')
        else:
            # No request in the spec: every attribute is refused, by name.
            maxattr = op.set.max_name
            first = op.set.attrs[0].enum_name
            out.append(f'/* {op.enum_name}: no request attributes, each refused */')
            out.append(f'static const struct nla_policy {pol}[{maxattr} + 1] = {{')
            out.append(f'\t[{first} ... {maxattr}] = {{')
            out.append('\t\t.type = NLA_REJECT,')
            out.append(f'\t\t.reject_message = "{spec.family}: '
                       f'{c_upper(op.name)} takes no attributes",')
            out.append('\t},')
            out.append('};')
        out.append('')
        members = [('cmd', op.enum_name)]
        if op.dump and 'pre' in op.dump:
            members.append(('start', c_lower(op.dump['pre'])))
        if op.do is not None:
            members.append(('doit', kernel_handler(spec, op, 'do')))
        if op.dump is not None:
            members.append(('dumpit', kernel_handler(spec, op, 'dump')))
        if op.dump and 'post' in op.dump:
            members.append(('done', c_lower(op.dump['post'])))
        members.append(('policy', pol))
        members.append(('maxattr', maxattr))
        if op.y.get('flags'):
            members.append(('flags', ' | '.join(c_upper('genl-' + f) for f in op.y['flags'])))
        table.append(members)

    out.append(f'/* Ops table for {spec.family} */')
    out.append(f'const struct genl_ops {spec.ident}_nl_ops[{len(ops)}] = {{')
    for members in table:
        out.append('\t{')
        out += ['\t\t' + ln for ln in struct_init(members)]
        out.append('\t},')
    out.append('};')
    return out


# --------------------------------------------------------------------- user

def user_policy_name(spec, s):
    return f'mv_{c_lower(s.name)}_policy'


def user_attr_policy(spec, a):
    """libnl-3's policy of one reply attribute, or None to accept any."""
    if a.type in ('pad', 'unused'):
        return None
    if a.type == 'string':
        # libnl's NLA_STRING wants the NUL; maxlen counts it.
        if 'max-len' in a.checks:
            return f"{{ .type = NLA_STRING, .maxlen = {a.checks['max-len']} + 1 }}"
        return '{ .type = NLA_STRING }'
    if a.type in ('u8', 'u16', 'u32', 'u64'):
        return f'{{ .type = NLA_{c_upper(a.type)} }}'
    if a.type in ('s8', 's16', 's32', 's64'):
        # libnl 3.7 knows no minimum length for its signed types.
        size = int(a.type[1:]) // 8
        return f'{{ .type = NLA_{c_upper(a.type)}, .minlen = {size} }}'
    if a.type == 'flag':
        return '{ .type = NLA_FLAG }'
    if a.type == 'nest':
        return '{ .type = NLA_NESTED }'
    if a.type == 'binary':
        return '{ .type = NLA_UNSPEC }'
    raise SystemExit(f'nlgen: {a.set.name} {a.name}: no libnl policy for {a.type}')


def user_h(spec):
    out = []
    banner(out, 'user header')
    out += ['#ifndef MEMVIRT_NL_GEN_H', '#define MEMVIRT_NL_GEN_H', '',
            '#include <netlink/attr.h>', f'#include <linux/{spec.family}.h>', '',
            '/* Reply policies, one per attribute set of the spec. */']
    for s in spec.sets.values():
        out.append(f'extern const struct nla_policy {user_policy_name(spec, s)}'
                   f'[{s.max_name} + 1];')
    out += ['', '#endif /* MEMVIRT_NL_GEN_H */']
    return out


def user_c(spec):
    out = []
    banner(out, 'user source', '//')
    out += ['#include "lib/nl-gen.h"', '']
    for s in spec.sets.values():
        out.append(f'/* Attribute set "{s.name}" */')
        out.append(f'const struct nla_policy {user_policy_name(spec, s)}[{s.max_name} + 1] = {{')
        for a in s.attrs:
            pol = user_attr_policy(spec, a)
            if pol:
                out.append(f'\t[{a.enum_name}] = {pol},')
        out.append('};')
        out.append('')
    out.pop()
    return out


# ---------------------------------------------------------------- selftests

KINDS = {'pad': 'MV_K_PAD', 'flag': 'MV_K_FLAG', 'u32': 'MV_K_U32', 's32': 'MV_K_S32',
         'u64': 'MV_K_U64', 'string': 'MV_K_STR', 'nest': 'MV_K_NEST'}


def set_id(s):
    return f'MV_SET_{c_upper(s.name)}'


def selftests_h(spec):
    out = []
    banner(out, 'selftests header')
    sets = list(spec.sets.values())
    out += ['#ifndef MEMVIRT_SELFTESTS_NL_GEN_H', '#define MEMVIRT_SELFTESTS_NL_GEN_H', '',
            '#include <stdbool.h>', '#include <stdint.h>', f'#include <linux/{spec.family}.h>', '',
            '/* How an attribute is encoded; MV_K_NONE: not in the spec. */',
            'enum mv_kind { MV_K_NONE, MV_K_PAD, MV_K_FLAG, MV_K_U32, MV_K_S32, MV_K_U64,',
            '\t       MV_K_STR, MV_K_NEST };', '',
            '/* The attribute sets of the spec. */',
            'enum mv_set_id { ' + ', '.join(set_id(s) for s in sets) + ', MV_NR_SETS };', '',
            'struct mv_attr_spec {',
            '\tconst char *name;\t/* the spec\'s name; NULL: not in the spec */',
            '\tuint8_t kind;\t\t/* enum mv_kind */',
            '\tuint8_t nest;\t\t/* MV_K_NEST: its set, enum mv_set_id */',
            '\tbool multi;\t\t/* multi-attr: may repeat */',
            '\tuint8_t maxlen;\t\t/* MV_K_STR: checks max-len, 0 = none */',
            '};', '']
    for s in sets:
        out.append(f'static const struct mv_attr_spec mv_{c_lower(s.name)}_attrs'
                   f'[{s.max_name} + 1] = {{')
        for a in s.attrs:
            if a.type == 'unused':
                continue
            if a.type not in KINDS:
                raise SystemExit(f'nlgen: {s.name} {a.name}: no selftests kind for {a.type}')
            fields = [f'"{a.name}"', KINDS[a.type]]
            if a.nested:
                fields.append(f'.nest = {set_id(spec.sets[a.nested])}')
            if a.multi:
                fields.append('.multi = true')
            if 'max-len' in a.checks:
                fields.append(f".maxlen = {a.checks['max-len']}")
            out.append(f'\t[{a.enum_name}] = {{ ' + ', '.join(fields) + ' },')
        out.append('};')
        out.append('')
    out += ['struct mv_set_spec {', '\tconst char *name;', '\tint max;\t\t\t/* highest attribute type */',
            '\tconst struct mv_attr_spec *attrs;\t/* [0..max] */', '};', '',
            'static const struct mv_set_spec mv_sets[MV_NR_SETS] = {']
    for s in sets:
        out.append(f'\t[{set_id(s)}] = {{ "{s.name}", {s.max_name}, mv_{c_lower(s.name)}_attrs }},')
    out += ['};', '']
    max_bits = max(a.value for s in sets for a in s.attrs)
    if max_bits >= 64:
        raise SystemExit('nlgen: an attribute type above 63 does not fit the reply masks')
    out += ['/* A command: its attribute set, whether it has do and dump, and the',
            ' * attributes its replies list (bit n: attribute type n).', ' */',
            'struct mv_op_spec {', '\tconst char *name;\t/* NULL: not a command */',
            '\tint set;\t\t/* enum mv_set_id */',
            '\tbool has_do, has_dump;', '\tuint64_t reply;', '};', '',
            '#define MV_ATTR_BIT(type)\t(1ULL << (type))', '',
            f'static const struct mv_op_spec mv_ops[{spec.cmd_max} + 1] = {{']
    for op in spec.handlers():
        bits = ' | '.join(f'MV_ATTR_BIT({a.enum_name})' for a in op.reply()) or '0'
        out.append(f'\t[{op.enum_name}] = {{')
        out.append(f'\t\t"{op.name}", {set_id(op.set)}, {str(op.do is not None).lower()}, '
                   f'{str(op.dump is not None).lower()},')
        words = bits.split(' | ')
        line = '\t\t'
        for n, w in enumerate(words):
            piece = w + (' |' if n + 1 < len(words) else ',')
            if len(line.expandtabs(8)) + len(piece) + 1 > 80 and line.strip():
                out.append(line.rstrip())
                line = '\t\t'
            line += ('' if not line.strip() else ' ') + piece
        out.append(line)
        out.append('\t},')
    out += ['};', '', '#endif /* MEMVIRT_SELFTESTS_NL_GEN_H */']
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--spec', required=True)
    ap.add_argument('mode', choices=['uapi-doc', 'kernel-h', 'kernel-c', 'user-h', 'user-c',
                                     'selftests-h'])
    ap.add_argument('input', nargs='?', help='uapi-doc: ynl-gen-c\'s header')
    ap.add_argument('-o', dest='out', required=True)
    args = ap.parse_args()

    spec = Spec(args.spec)
    if args.mode == 'uapi-doc':
        if not args.input:
            ap.error('uapi-doc needs ynl-gen-c\'s header')
        with open(args.input) as f:
            lines = uapi_doc(spec, f.read().split('\n')[:-1])
    else:
        lines = {'kernel-h': kernel_h, 'kernel-c': kernel_c, 'user-h': user_h,
                 'user-c': user_c, 'selftests-h': selftests_h}[args.mode](spec)
    tmp = args.out + '.tmp'
    with open(tmp, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    os.replace(tmp, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
