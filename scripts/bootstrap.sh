#!/usr/bin/env bash
# shipyard bootstrap: run one action's Python entry point from a private, hash-locked venv.
#
#   scripts/bootstrap.sh <action> [args...]
#
# 1. Finds a Python >= 3.10 already on the runner: $SHIPYARD_PYTHON if set (a command or a
#    path; nothing else is tried), else the first of python3.14 ... python3.10, python3, python
#    on PATH that is >= 3.10. The choice is cached per (SHIPYARD_PYTHON, PATH) in
#    <cache>/interpreters, so a warm run starts no Python just to check a version.
# 2. Creates or reuses ONE venv per key in the runner's tool cache:
#      <cache> = ${RUNNER_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}}/shipyard
#      <cache>/venv-<key>, key = sha256(interpreter path + version/platform + every locks/*.txt)
#    Each action's lock (locks/<action>.txt, or locks/base.txt for an action without an extra)
#    is installed into it once, hash-checked (--require-hashes), under a lock; a marker
#    <venv>/.installed-<lock> (content: the lock's sha256) is written last, and a run needs it.
#    The bare venv is built in a temp dir and renamed into place. All locks pin shared
#    packages to the same versions (scripts/lock.py), so installing a second action's lock
#    only adds packages and never changes one a running action uses.
# 3. Runs the action: exec <venv>/bin/python -I -X utf8 -c <launcher> <repo>/src
#    shipyard.<action_with_underscores> "$@". -I (isolated mode) ignores PYTHON* variables
#    (an inherited PYTHONPATH cannot shadow shipyard or its dependencies) and keeps the working
#    directory (the caller's repo) off sys.path; the launcher puts <repo>/src first on sys.path
#    and runs the module exactly as `python -m` does (runpy._run_module_as_main). The caller's
#    environment, PYTHONPATH included, is passed untouched to the processes the action starts,
#    except the inputs:
# 0. First of all, every SHIPYARD_INPUT_* and INPUT_* variable (any case) leaves the
#    environment: nothing the bootstrap or the action starts inherits one. They reach Python on
#    descriptor 3, named by SHIPYARD_INPUTS_FD; the runtime reads it once and closes it. With
#    action.yml's `run: exec ...` the step's shell, this script and Python are one process,
#    so no process of the step finds an input in an ancestor's /proc/<pid>/environ.
#
#    scripts/bootstrap.sh --cache-plan <action>
# 4. Plans the step's use of GitHub's cache service (action.yml's first step; nothing is
#    installed or run): finds the interpreter and the venv key as above and writes step
#    outputs (GITHUB_OUTPUT) for the actions/cache restore and save steps around the run:
#      restore       true when the cache is wanted and this action's venv is not complete here
#      save          true with restore, except on pull_request_target (its caches are the base
#                    branch's, and the job may have run the pull request's code): restore only
#      key           shipyard-<os>-<arch>-<k>-venv-<action> (the venv alone), or for an action
#                    that keeps more (SHIPYARD_CACHE_PATHS) shipyard-<os>-<arch>-<k>-<action>
#                    [-<commit> | -<UTC day>] (SHIPYARD_CACHE_ROTATE: sha | day: lint, audit);
#                    k = sha256(venv key text + tool cache path + locks/tools/*.txt)
#      restore-keys  shipyard-<os>-<arch>-<k>-<action>- (rotating keys), shipyard-<os>-<arch>-<k>-venv-
#      paths         the venv and SHIPYARD_CACHE_PATHS (relative to the tool cache: lint and
#                    audit add shipyard/uv, which they run; the venv alone restores faster)
#    Wanted: SHIPYARD_CACHE=true, or auto (the default) on GitHub's runners (GITHUB_ACTIONS, not
#    act) or where a cache service is announced (ACTIONS_CACHE_URL / ACTIONS_RESULTS_URL: act
#    with its cache server); SHIPYARD_CACHE=false never. A problem here (no Python...) only
#    means restore=false: the run step reports it. The run step, given
#    SHIPYARD_CACHE_REPORT=true, writes the output shipyard-venv=ready once the venv is complete,
#    just before it execs Python: the save step needs it (a half-installed venv is never saved).
#    A restored venv is judged like any other (trust boundary, below) by the run step.
#
# Environment:
#   SHIPYARD_CACHE      auto (default) | true | false: use GitHub's cache service (see 4.)
#   SHIPYARD_INPUT_*, INPUT_*  the action's inputs: moved to descriptor 3 (see 0.)
#   SHIPYARD_INPUTS_FD  inputs already on this descriptor (records as the runtime reads them)
#   SHIPYARD_PYTHON     interpreter to use (command name or path); must be >= 3.10
#   SHIPYARD_INSTALLER  auto (default) | uv | pip
#                       auto: uv from SHIPYARD_UV / PATH / <cache>/uv, else install uv there
#                       with pip (hash-checked, locks/tools/uv.txt), else pip
#   SHIPYARD_UV         path of a uv binary to use
#   SHIPYARD_LOCK_TIMEOUT  seconds to wait for another job's install (default 900)
#   SHIPYARD_DEBUG / RUNNER_DEBUG=1   print every decision on stderr
#   UV_CACHE_DIR        honoured; default <cache>/cache/uv. PIP_* and UV_* settings (indexes,
#                       certificates) are honoured; installers run from <cache>, so a
#                       pyproject.toml or uv.toml in the caller's repo does not apply.
# Trust boundary (see README "Trust boundary of the tool cache"): the cache is code that runs
# with the job's secrets, so before using it the bootstrap refuses (exit 2) a cache root, an
# interpreters file, a venv or its site-packages that another user owns or that is group- or
# world-writable; and a cached interpreter is used only while its file's identity (inode,
# mtime, size) is the one recorded when it was probed. Files the bootstrap creates are 0755/0644.
# Exit codes: the action's own, or 2 = no suitable Python / bad usage / an untrusted cache (with a ::error:: line),
#             3 = the dependency install failed or timed out (with a ::error:: line).
# Written for bash >= 3.2 with no GNU-only flags (macOS: no flock -> a mkdir lock; sha256sum,
# shasum or openssl); tested here on Linux, with the mkdir lock too, not on macOS or Windows.

set -u

_sy_debug=0
case "${SHIPYARD_DEBUG:-}" in '' | 0 | false | no) ;; *) _sy_debug=1 ;; esac
[[ "${RUNNER_DEBUG:-}" == 1 ]] && _sy_debug=1

_sy_log() {
	if [[ $_sy_debug == 1 ]]; then printf 'shipyard: %s\n' "$*" >&2; fi
}

# ::error:: with the escaping of actions/toolkit (data: % CR LF; properties also : and ,).
_sy_plan=''
_sy_fail() {
	local code=$1 title=$2 message=$3
	if [[ -n $_sy_plan ]]; then
		# Planning the cache: the run step meets the same problem and reports it.
		_sy_log "cache plan: no cache ($title: $message)"
		_sy_plan_output restore false
		exit 0
	fi
	message=${message//'%'/%25}
	message=${message//$'\r'/%0D}
	message=${message//$'\n'/%0A}
	title=${title//'%'/%25}
	title=${title//$'\r'/%0D}
	title=${title//$'\n'/%0A}
	title=${title//:/%3A}
	title=${title//,/%2C}
	printf '::error title=%s::%s\n' "$title" "$message"
	exit "$code"
}

# One step output, in the multi-line form with a random delimiter (no-op off a runner).
_sy_plan_output() {
	[[ -n ${GITHUB_OUTPUT:-} ]] || return 0
	local delimiter="ghadelimiter_${RANDOM}${RANDOM}${RANDOM}${RANDOM}"
	printf '%s<<%s\n%s\n%s\n' "$1" "$delimiter" "$2" "$delimiter" >>"$GITHUB_OUTPUT"
}

# Lexical normalisation of an absolute path (like os.path.normpath), without forking.
_sy_normpath() {
	local path=$1 part result=''
	local -a parts
	local saved_ifs=$IFS
	IFS=/
	set -f
	# shellcheck disable=SC2206 # split on / on purpose; globbing is off
	parts=($path)
	set +f
	IFS=$saved_ifs
	local -a kept=()
	for part in ${parts[@]+"${parts[@]}"}; do
		case $part in
		'' | .) ;;
		..) if ((${#kept[@]} > 0)); then unset "kept[$((${#kept[@]} - 1))]"; fi ;;
		*) kept+=("$part") ;;
		esac
	done
	for part in ${kept[@]+"${kept[@]}"}; do result+="/$part"; done
	printf -v "$2" '%s' "${result:-/}"
}

# Refuses (exit 2) any of the given existing paths that another user owns or that is group- or
# world-writable: someone else could put code there (a .pth, a fake interpreter) that would
# run with this job's secrets. One find(1) for all of them (-H: a symlinked path is judged by
# its target); paths that do not exist are skipped.
_sy_check_private() {
	local -a existing=()
	local path bad
	for path in "$@"; do [[ -e $path ]] && existing+=("$path"); done
	((${#existing[@]} > 0)) || return 0
	bad=$(find -H "${existing[@]}" -maxdepth 0 \( ! -user "$EUID" -o -perm -0020 -o -perm -0002 \) -print 2>&1) ||
		_sy_fail 2 'shipyard refused an untrusted tool cache' "cannot check the owner and permissions of ${existing[*]}: $bad"
	if [[ -n $bad ]]; then
		bad=${bad//$'\n'/, }
		_sy_fail 2 'shipyard refused an untrusted tool cache' \
			"$bad is owned by another user or writable by group/others, so code there could run with this job's secrets. Remove it, or make it private (chown to the runner's user; chmod go-w), or point RUNNER_TOOL_CACHE at a directory only this user can write."
	fi
}

# The identity of a file, "inode:mtime:size" (GNU stat, else BSD stat); '' when unknown.
_sy_identity() {
	local out
	out=$(stat -L -c '%i:%Y:%s' -- "$1" 2>/dev/null) || out=$(stat -L -f '%i:%m:%z' -- "$1" 2>/dev/null) || out=''
	printf -v "$2" '%s' "$out"
}

# ---------------------------------------------------------------------------- inputs

# The action's inputs leave the environment before anything runs: every SHIPYARD_INPUT_* (and
# INPUT_*, which act also sets), whatever the case. They travel in _sy_inputs, one NAME=VALUE
# record per line with "\" and newline escaped as "\\" and "\n", and reach the action's Python
# on a descriptor named by SHIPYARD_INPUTS_FD (a here-string: a pipe, or a 0600 file bash
# unlinks at once), which the runtime reads once and closes. So no process of the step, the
# helpers below included, inherits them, and none can read them in an ancestor's initial
# environment (/proc/<pid>/environ): the step's shell execs this script (action.yml's `exec`)
# and this script execs Python, so they all end as one process whose environment is clean.
_sy_inputs=''
_sy_odd_inputs=() # names bash can neither hold nor unset (act's INPUT_GITHUB-TOKEN)

_sy_take_input() {
	local name=$1 value=$2 bs=\\
	value=${value//"$bs"/"$bs$bs"}
	value=${value//$'\n'/"${bs}n"}
	_sy_inputs+="$name=$value"$'\n'
	if [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
		unset -v "$name"
	else
		_sy_odd_inputs+=("$name")
	fi
}

# Inputs already on a descriptor (this script started again without the odd names, below).
_sy_read_inputs_fd() {
	local fd=$SHIPYARD_INPUTS_FD data=''
	unset -v SHIPYARD_INPUTS_FD
	if [[ ! $fd =~ ^[0-9]+$ ]] || ! { : <&"$fd"; } 2>/dev/null; then
		_sy_fail 2 'shipyard bootstrap' "SHIPYARD_INPUTS_FD=$fd is not an open file descriptor"
	fi
	IFS= read -r -d '' data <&"$fd"
	eval "exec $fd<&-" # $fd is digits only
	_sy_inputs+=$data
	_sy_inputs_fd_read=1
}

_sy_collect_inputs() {
	local record name value
	[[ -n ${SHIPYARD_INPUTS_FD+set} ]] && _sy_read_inputs_fd
	shopt -s nocasematch
	if [[ -r /proc/$$/environ ]]; then
		# Linux: this process's environment exactly, dashed names included, with no fork.
		while IFS= read -r -d '' record; do
			name=${record%%=*}
			case $name in SHIPYARD_INPUT_* | INPUT_*) _sy_take_input "$name" "${record#*=}" ;; esac
		done </proc/$$/environ
	else
		# No /proc (macOS): the names from env(1); a value from bash, or from printenv(1) for
		# a name bash cannot hold. A value line that looks like a record names nothing set.
		while IFS= read -r record; do
			[[ $record == *=* ]] || continue
			name=${record%%=*}
			case $name in SHIPYARD_INPUT_* | INPUT_*) ;; *) continue ;; esac
			if [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
				[[ -n ${!name+set} ]] || continue
				value=${!name}
			else
				value=$(printenv "$name" && printf .) || continue
				value=${value%.}
				value=${value%$'\n'}
			fi
			_sy_take_input "$name" "$value"
		done <<<"$(env)"
	fi
	shopt -u nocasematch
}

_sy_inputs_fd_read=''
_sy_collect_inputs
if ((${#_sy_odd_inputs[@]} > 0)); then
	# bash passes such names on to every command it runs: start again without them (once).
	if [[ -n $_sy_inputs_fd_read ]]; then
		_sy_fail 2 'shipyard bootstrap' "cannot remove ${_sy_odd_inputs[*]} from the environment"
	fi
	_sy_unset=()
	for _sy_name in "${_sy_odd_inputs[@]}"; do _sy_unset+=(-u "$_sy_name"); done
	exec 3<<<"$_sy_inputs"
	export SHIPYARD_INPUTS_FD=3
	exec env "${_sy_unset[@]}" "$BASH" "${BASH_SOURCE[0]}" "$@"
fi

# Whether to use GitHub's cache service (see 4. above); exit 2 for a value that means nothing.
_sy_cache_wanted() {
	case "${SHIPYARD_CACHE:-auto}" in
	false | 0 | no | off) return 1 ;;
	true | 1 | yes | on) return 0 ;;
	auto) ;;
	*)
		_sy_plan=''
		_sy_fail 2 'shipyard bootstrap' "SHIPYARD_CACHE must be auto, true or false, not '$SHIPYARD_CACHE'"
		;;
	esac
	[[ -n ${ACTIONS_CACHE_URL:-} || -n ${ACTIONS_RESULTS_URL:-} ]] && return 0
	[[ ${GITHUB_ACTIONS:-} == true && -z ${ACT:-} ]]
}

# ---------------------------------------------------------------------------- arguments

if [[ ${1:-} == --cache-plan ]]; then
	_sy_plan=1
	shift
fi
if (($# < 1)); then
	_sy_fail 2 'shipyard bootstrap' 'usage: bootstrap.sh [--cache-plan] <action> [args...]'
fi
_sy_action=$1
shift
if [[ ! $_sy_action =~ ^[a-z][a-z0-9-]*$ ]]; then
	_sy_fail 2 'shipyard bootstrap' "invalid action name '$_sy_action'"
fi
# A cache that is not wanted is known before any interpreter is looked for (or started).
if [[ -n $_sy_plan ]] && ! _sy_cache_wanted; then
	_sy_log "cache plan: off (SHIPYARD_CACHE=${SHIPYARD_CACHE:-auto}, no cache service known here)"
	_sy_plan_output restore false
	exit 0
fi

_sy_here=${BASH_SOURCE[0]}
if [[ $_sy_here == */* ]]; then _sy_here=${_sy_here%/*}; else _sy_here=.; fi
[[ $_sy_here == /* ]] || _sy_here=$PWD/$_sy_here
_sy_repo=""
_sy_normpath "$_sy_here/.." _sy_repo
_sy_src=$_sy_repo/src

# "shipyard" runs the package itself (python -m shipyard: --version, the list of actions).
if [[ $_sy_action == shipyard ]]; then
	_sy_module=shipyard
	_sy_pkgdir=$_sy_src/shipyard
else
	_sy_module=shipyard.${_sy_action//-/_}
	_sy_pkgdir=$_sy_src/shipyard/${_sy_action//-/_}
fi
if [[ ! -f $_sy_pkgdir/__main__.py ]]; then
	_sy_fail 2 'shipyard bootstrap' "unknown action '$_sy_action': no $_sy_pkgdir/__main__.py"
fi
if [[ -f $_sy_repo/locks/$_sy_action.txt ]]; then
	_sy_lockname=$_sy_action
else
	_sy_lockname=base
fi
_sy_lockfile=$_sy_repo/locks/$_sy_lockname.txt
if [[ ! -f $_sy_lockfile ]]; then
	_sy_fail 2 'shipyard bootstrap' "missing lock file $_sy_lockfile"
fi

case "${OSTYPE:-}" in
msys* | cygwin* | win32*) _sy_bindir=Scripts _sy_exe=python.exe ;;
*) _sy_bindir=bin _sy_exe=python ;;
esac

_sy_root=${RUNNER_TOOL_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}}/shipyard
_sy_log "action=$_sy_action module=$_sy_module lock=locks/$_sy_lockname.txt cache=$_sy_root"

# ---------------------------------------------------------------------------- interpreter

# Prints "<realpath of sys.executable>\t<impl>-<x.y.z>-<sys.platform>-<machine>\t<0|1 ok>".
# Runs on any Python; one that cannot run it (Python 2) simply does not qualify.
_sy_probe='import os, platform, sys
v = sys.version_info
sys.stdout.write("%s\t%s-%d.%d.%d-%s-%s\t%d\n" % (os.path.realpath(sys.executable),
    sys.implementation.name, v[0], v[1], v[2], sys.platform, platform.machine(), v >= (3, 10)))'

_sy_py_exe=''
_sy_py_id=''
_sy_py_ident=''
_sy_interp_cache=$_sy_root/interpreters
_sy_query="1|${SHIPYARD_PYTHON-}|${PATH:-}"

_sy_cached_interpreter() {
	[[ -r $_sy_interp_cache ]] || return 1
	# Nothing runs the interpreter read here before _sy_check_private has judged this file.
	local query exe id ident found_exe='' found_id='' found_ident='' now_ident
	while IFS=$'\t' read -r query exe id ident; do
		if [[ $query == "$_sy_query" ]]; then
			found_exe=$exe
			found_id=$id
			found_ident=$ident
		fi
	done <"$_sy_interp_cache"
	# The entry holds while the interpreter exists and is the very file that was probed.
	if [[ -n $found_exe && -n $found_ident && -x $found_exe && ! $found_exe -nt $_sy_interp_cache ]]; then
		_sy_identity "$found_exe" now_ident
		if [[ $now_ident == "$found_ident" ]]; then
			_sy_py_exe=$found_exe
			_sy_py_id=$found_id
			return 0
		fi
		_sy_log "interpreter cache entry for $found_exe is stale (identity changed); probing again"
	fi
	return 1
}

_sy_find_interpreter() {
	local -a candidates
	if [[ -n ${SHIPYARD_PYTHON:-} ]]; then
		candidates=("$SHIPYARD_PYTHON")
	else
		candidates=(python3.14 python3.13 python3.12 python3.11 python3.10 python3 python)
	fi
	local candidate path out exe id ok rejected=''
	for candidate in "${candidates[@]}"; do
		path=$(command -v -- "$candidate" 2>/dev/null) || continue
		out=$("$path" -I -S -c "$_sy_probe" 2>/dev/null) || {
			rejected+=" $candidate (does not run)"
			continue
		}
		IFS=$'\t' read -r exe id ok <<<"$out"
		if [[ $ok == 1 && -n $exe && -x $exe ]]; then
			_sy_py_exe=$exe
			_sy_py_id=$id
			_sy_log "interpreter: $candidate -> $exe ($id)"
			return 0
		fi
		rejected+=" $candidate ($id)"
	done
	local what='No Python >= 3.10 on PATH'
	[[ -n ${SHIPYARD_PYTHON:-} ]] && what="SHIPYARD_PYTHON=$SHIPYARD_PYTHON is not a Python >= 3.10"
	[[ -n $rejected ]] && what+="; rejected:$rejected"
	_sy_fail 2 'shipyard needs Python 3.10+' \
		"$what. Add a step 'uses: actions/setup-python' with python-version 3.10 or newer before this action, or set SHIPYARD_PYTHON to such an interpreter."
}

if _sy_cached_interpreter; then
	_sy_log "interpreter (cached): $_sy_py_exe ($_sy_py_id)"
else
	_sy_find_interpreter
	if [[ $_sy_query != *$'\n'* && $_sy_query != *$'\t'* ]] && (umask 022 && mkdir -p -- "$_sy_root") 2>/dev/null; then
		# One short append per line is atomic; a file past 200 lines starts over.
		_sy_lines=0
		if [[ -r $_sy_interp_cache ]]; then
			while IFS= read -r _; do _sy_lines=$((_sy_lines + 1)); done <"$_sy_interp_cache"
		fi
		if ((_sy_lines > 200)); then : >"$_sy_interp_cache"; fi
		_sy_identity "$_sy_py_exe" _sy_py_ident
		(umask 022 && printf '%s\t%s\t%s\t%s\n' "$_sy_query" "$_sy_py_exe" "$_sy_py_id" "$_sy_py_ident" >>"$_sy_interp_cache") 2>/dev/null
	fi
fi

# ---------------------------------------------------------------------------- venv key

if command -v sha256sum >/dev/null 2>&1; then
	_sy_sha256() { sha256sum "$@"; }
elif command -v shasum >/dev/null 2>&1; then
	_sy_sha256() { shasum -a 256 "$@"; }
else
	_sy_sha256() { openssl dgst -sha256 -r "$@"; }
fi

_sy_locks=("$_sy_repo"/locks/*.txt)
# One line per lock: "<sha256> <file name>" (paths of the checkout stay out of the key).
_sy_sums=$(_sy_sha256 "${_sy_locks[@]}") || _sy_fail 3 'shipyard bootstrap' 'cannot hash locks/*.txt'
_sy_keytext="shipyard-venv-1 $_sy_py_exe $_sy_py_id"
_sy_lockhash=''
while read -r _sy_sum _sy_file; do
	_sy_file=${_sy_file#\*}
	_sy_keytext+=$'\n'"$_sy_sum ${_sy_file##*/}"
	[[ ${_sy_file##*/} == "$_sy_lockname.txt" ]] && _sy_lockhash=$_sy_sum
done <<<"$_sy_sums"
_sy_key=$(_sy_sha256 <<<"$_sy_keytext") || _sy_fail 3 'shipyard bootstrap' 'cannot hash the venv key'
_sy_key=${_sy_key:0:16}
_sy_venv=$_sy_root/venv-$_sy_key
_sy_vpy=$_sy_venv/$_sy_bindir/$_sy_exe
_sy_marker=$_sy_venv/.installed-$_sy_lockname

# ---------------------------------------------------------------------------- cache plan

_sy_cache_plan() {
	if [[ -f $_sy_marker && -x $_sy_vpy ]]; then
		_sy_log "cache plan: $_sy_venv is complete here: nothing to restore or save"
		_sy_plan_output restore false
		return 0
	fi
	local base=${_sy_root%/shipyard} text tools='' sum os arch prefix key restore_keys paths rel
	for rel in "$_sy_repo"/locks/tools/*.txt; do
		[[ -f $rel ]] && tools+=$(_sy_sha256 "$rel")$'\n'
	done
	text="shipyard-cache-1 $_sy_root"$'\n'"$_sy_keytext"$'\n'"${tools//$_sy_repo\//}"
	sum=$(_sy_sha256 <<<"$text") || sum=''
	os=${RUNNER_OS:-$(uname -s)}
	arch=${RUNNER_ARCH:-$(uname -m)}
	# lower case: the cache service compares keys without case (act's server lowers them)
	prefix=$(printf 'shipyard-%s-%s-%s-' "$os" "$arch" "${sum:0:16}" | tr '[:upper:]' '[:lower:]')
	# Entries of the venv alone are "venv-<action>": the fallback of every action (a small
	# download: another action's venv, to which only the missing lock is added). An action
	# that keeps more (lint, audit) has entries of its own, which only it restores.
	key=${prefix}venv-$_sy_action
	restore_keys=${prefix}venv-
	paths=$_sy_venv
	local -a extra=()
	# shellcheck disable=SC2206 # a space-separated list (action.yml's); globbing is off
	set -f && extra=(${SHIPYARD_CACHE_PATHS:-}) && set +f
	for rel in ${extra[@]+"${extra[@]}"}; do
		[[ $rel == /* || $rel == *..* ]] && continue
		paths+=$'\n'"$base/$rel"
		key=$prefix$_sy_action
	done
	case "${SHIPYARD_CACHE_ROTATE:-}" in
	sha) key+="-${GITHUB_SHA:-none}" ;;
	day) key+="-$(date -u +%Y-%m-%d)" ;;
	esac
	[[ $key == "$prefix$_sy_action"-* ]] && restore_keys="$prefix$_sy_action-"$'\n'"$restore_keys"
	_sy_log "cache plan: restore $key (restore-keys ${restore_keys//$'\n'/ }) into ${paths//$'\n'/ }"
	(umask 022 && mkdir -p -- "$_sy_root") 2>/dev/null
	_sy_plan_output restore true
	# A pull_request_target job writes to the base branch's caches, which its pushes' jobs
	# restore with their secrets, and it may have run the pull request's code before this
	# step (code that could have changed the tool cache): it restores, it never saves.
	if [[ ${GITHUB_EVENT_NAME:-} == pull_request_target ]]; then
		_sy_log "cache plan: restore only: a pull_request_target job never saves (base branch's caches)"
		_sy_plan_output save false
	else
		_sy_plan_output save true
	fi
	_sy_plan_output key "$key"
	_sy_plan_output restore-keys "$restore_keys"
	_sy_plan_output paths "$paths"
}

if [[ -n $_sy_plan ]]; then
	_sy_cache_plan
	exit 0
fi

# ---------------------------------------------------------------------------- install

_sy_lock_held=''
_sy_tmp_items=()

_sy_cleanup() {
	local item
	for item in ${_sy_tmp_items[@]+"${_sy_tmp_items[@]}"}; do rm -rf -- "$item"; done
	_sy_unlock
}

_sy_lock() {
	local timeout=${SHIPYARD_LOCK_TIMEOUT:-900}
	if command -v flock >/dev/null 2>&1; then
		exec 9>>"$_sy_root/.lock" || return 1
		_sy_lock_held=flock
		if ! flock -w "$timeout" 9; then
			_sy_lock_held=''
			exec 9>&-
			return 1
		fi
		return 0
	fi
	# No flock (macOS): a lock directory holding the owner's pid; a dead owner's lock is broken.
	local dir=$_sy_root/.lock.d waited=0 owner
	until mkdir -- "$dir" 2>/dev/null; do
		owner=''
		[[ -r $dir/pid ]] && read -r owner <"$dir/pid"
		if [[ -n $owner ]] && ! kill -0 "$owner" 2>/dev/null; then
			_sy_log "breaking stale lock of pid $owner"
			rm -rf -- "$dir"
			continue
		fi
		((waited >= timeout * 5)) && return 1
		sleep 0.2
		waited=$((waited + 1))
	done
	printf '%s\n' "$$" >"$dir/pid"
	_sy_lock_held='mkdir'
	return 0
}

_sy_unlock() {
	case $_sy_lock_held in
	flock) exec 9>&- ;;
	mkdir) rm -rf -- "$_sy_root/.lock.d" ;;
	esac
	_sy_lock_held=''
}

# Runs an installer command with its output in a log; shows the log only when it fails.
_sy_run_logged() {
	local log=$1
	shift
	_sy_log "run: $*"
	if [[ $_sy_debug == 1 ]]; then
		(cd -- "$_sy_root" && "$@") >&2
	else
		(cd -- "$_sy_root" && "$@") >>"$log" 2>&1
	fi
}

_sy_uv=''
_sy_find_uv() {
	if [[ -n ${SHIPYARD_UV:-} ]]; then
		_sy_uv=$SHIPYARD_UV
		return 0
	fi
	local found
	if found=$(command -v uv 2>/dev/null); then
		_sy_uv=$found
		return 0
	fi
	if [[ -x $_sy_root/uv/bin/uv ]]; then
		_sy_uv=$_sy_root/uv/bin/uv
		return 0
	fi
	return 1
}

# Installs uv (hash-checked) into <cache>/uv with the interpreter's own pip.
_sy_bootstrap_uv() {
	local log=$1 tmp=$_sy_root/.uv.tmp.$$
	[[ -f $_sy_repo/locks/tools/uv.txt ]] || return 1
	_sy_tmp_items+=("$tmp")
	_sy_log "installing uv into $_sy_root/uv with pip"
	PIP_ROOT_USER_ACTION=ignore PIP_REQUIRE_VIRTUALENV=0 _sy_run_logged "$log" \
		"$_sy_py_exe" -I -m pip install --disable-pip-version-check --no-input --quiet \
		--require-hashes --no-deps --only-binary :all: --target "$tmp" \
		-r "$_sy_repo/locks/tools/uv.txt" || return 1
	[[ -x $tmp/bin/uv ]] || return 1
	rm -rf -- "$_sy_root/uv"
	mv -- "$tmp" "$_sy_root/uv" || return 1
	_sy_uv=$_sy_root/uv/bin/uv
}

_sy_uv_env() {
	UV_CACHE_DIR=${UV_CACHE_DIR:-$_sy_root/cache/uv} UV_PYTHON_DOWNLOADS=never "$@"
}

_sy_create_venv() {
	local log=$1 installer=$2 tmp=$_sy_root/.venv-$_sy_key.tmp.$$
	_sy_tmp_items+=("$tmp")
	rm -rf -- "$tmp"
	if [[ $installer == uv ]]; then
		_sy_run_logged "$log" _sy_uv_env "$_sy_uv" venv --quiet --no-project \
			--python "$_sy_py_exe" "$tmp" || return 1
	else
		_sy_run_logged "$log" "$_sy_py_exe" -I -m venv --without-pip "$tmp" || return 1
	fi
	[[ -x $tmp/$_sy_bindir/$_sy_exe ]] || return 1
	printf '%s\n%s\n' "$_sy_py_exe" "$_sy_py_id" >"$tmp/.shipyard-python"
	if [[ -e $_sy_venv ]]; then rm -rf -- "$_sy_venv"; fi
	mv -- "$tmp" "$_sy_venv"
}

_sy_pip_install() {
	local log=$1 pipver
	# A host pip >= 22.3 installs into the venv with --python; else the venv gets its own pip.
	pipver=$("$_sy_py_exe" -I -c 'import pip, sys; sys.stdout.write(pip.__version__)' 2>/dev/null)
	local major=${pipver%%.*} rest=${pipver#*.}
	local minor=${rest%%.*}
	if [[ $major =~ ^[0-9]+$ && $minor =~ ^[0-9]+$ ]] && ((major > 22 || (major == 22 && minor >= 3))); then
		PIP_ROOT_USER_ACTION=ignore PIP_REQUIRE_VIRTUALENV=0 _sy_run_logged "$log" \
			"$_sy_py_exe" -I -m pip --python "$_sy_vpy" install --disable-pip-version-check \
			--no-input --quiet --no-compile --require-hashes -r "$_sy_lockfile"
		return
	fi
	if ! "$_sy_vpy" -I -c 'import pip' 2>/dev/null; then
		_sy_run_logged "$log" "$_sy_vpy" -I -m ensurepip --default-pip || return 1
	fi
	PIP_ROOT_USER_ACTION=ignore _sy_run_logged "$log" "$_sy_vpy" -I -m pip install \
		--disable-pip-version-check --no-input --quiet --no-compile --require-hashes \
		-r "$_sy_lockfile"
}

_sy_install() {
	local start=$SECONDS installer=${SHIPYARD_INSTALLER:-auto} saved_umask
	saved_umask=$(umask)
	umask 022 # what we create here must not be writable by others (see _sy_check_private)
	if ! mkdir -p -- "$_sy_root"; then
		_sy_fail 3 'shipyard could not install its dependencies' "cannot create $_sy_root"
	fi
	trap _sy_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	if ! _sy_lock; then
		_sy_fail 3 'shipyard could not install its dependencies' \
			"could not take the install lock in $_sy_root within ${SHIPYARD_LOCK_TIMEOUT:-900} s (another job installing?)"
	fi
	if [[ -f $_sy_marker && -x $_sy_vpy ]]; then
		_sy_log "installed meanwhile by another job: $_sy_marker"
		return 0
	fi
	local log=$_sy_root/.install-$$.log
	_sy_tmp_items+=("$log")
	: >"$log"

	case $installer in
	uv) _sy_find_uv || _sy_fail 2 'shipyard bootstrap' \
		'SHIPYARD_INSTALLER=uv but no uv found (set SHIPYARD_UV or put uv on PATH)' ;;
	pip) ;;
	auto)
		if _sy_find_uv || _sy_bootstrap_uv "$log"; then installer=uv; else installer=pip; fi
		;;
	*) _sy_fail 2 'shipyard bootstrap' "SHIPYARD_INSTALLER must be auto, uv or pip, not '$installer'" ;;
	esac
	printf 'shipyard: installing %s dependencies (locks/%s.txt) with %s into %s\n' \
		"$_sy_action" "$_sy_lockname" "$installer" "$_sy_venv" >&2

	local ok=1
	if [[ ! -x $_sy_vpy ]]; then
		_sy_create_venv "$log" "$installer" || ok=0
	fi
	if ((ok)); then
		rm -f -- "$_sy_marker"
		if [[ $installer == uv ]]; then
			_sy_run_logged "$log" _sy_uv_env "$_sy_uv" pip install --quiet --python "$_sy_vpy" \
				--require-hashes -r "$_sy_lockfile" || ok=0
		else
			_sy_pip_install "$log" || ok=0
		fi
	fi
	if ((!ok)); then
		if [[ $_sy_debug != 1 && -s $log ]]; then cat -- "$log" >&2; fi
		_sy_fail 3 'shipyard could not install its dependencies' \
			"Installing locks/$_sy_lockname.txt with $installer into $_sy_venv failed (see the log above). Check the runner's access to the package index (PIP_INDEX_URL / UV_INDEX_URL); a hash mismatch means the lock or the index content changed."
	fi
	printf '%s\n' "$_sy_lockhash" >"$_sy_marker.tmp.$$" && mv -f -- "$_sy_marker.tmp.$$" "$_sy_marker"
	umask "$saved_umask"
	_sy_log "installed in $((SECONDS - start)) s; marker $_sy_marker"
}

# The cache root, the interpreters file (it chose the Python), the venv and where a .pth would
# go must be ours alone before anything runs from them: one check on a warm run, before and
# after the install on a cold one.
_sy_private=("$_sy_root" "$_sy_interp_cache" "$_sy_venv" "$_sy_venv/$_sy_bindir")
_sy_private+=("$_sy_venv"/lib/python*/site-packages "$_sy_venv"/Lib/site-packages)
_sy_check_private "${_sy_private[@]}"
if [[ -f $_sy_marker && -x $_sy_vpy ]]; then
	_sy_log "reusing $_sy_venv"
else
	_sy_install
	_sy_cleanup
	trap - EXIT INT TERM
	_sy_check_private "$_sy_venv" "$_sy_venv/$_sy_bindir" "$_sy_venv"/lib/python*/site-packages
fi

# ---------------------------------------------------------------------------- run

# Same as `python -m <module>` with <repo>/src first on sys.path, binding no name in __main__.
_sy_launcher='__import__("sys").path.insert(0, __import__("sys").argv.pop(1)); __import__("runpy")._run_module_as_main(__import__("sys").argv.pop(1))'
# The venv is complete: the action's cache save step may keep it (see 4. above).
if [[ ${SHIPYARD_CACHE_REPORT:-} == true && -n ${GITHUB_OUTPUT:-} ]]; then
	printf 'shipyard-venv=ready\n' >>"$GITHUB_OUTPUT"
fi
unset -v SHIPYARD_CACHE_REPORT
_sy_log "exec $_sy_vpy -I -X utf8 -c <launcher> $_sy_src $_sy_module $*"
exec 3<<<"$_sy_inputs"
export SHIPYARD_INPUTS_FD=3
exec "$_sy_vpy" -I -X utf8 -c "$_sy_launcher" "$_sy_src" "$_sy_module" "$@"
