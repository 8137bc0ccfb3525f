#!/usr/bin/env bash
# Prepares OSRM routing data (car profile, MLD) from an OpenStreetMap extract: osrm-extract -p car.lua →
# osrm-partition → osrm-customize. The result, data/<name>.osrm.*, is what `osrm-routed --algorithm mld
# data/<name>.osrm` (the docker-compose `osrm` service) serves. The OSRM tools on the PATH are used when all three are
# there; otherwise they run inside the osrm-backend image with Docker.
#
# Usage:
#   data/prepare-osrm.sh [--name NAME] [--force] SOURCE
# SOURCE is one of:
#   a local file            ../shared/osm/monaco.osm.pbf
#   a Geofabrik region      europe/monaco, europe/germany/berlin   (downloads <region>-latest.osm.pbf, checks its .md5)
#   a URL                   https://example.org/extract.osm.pbf
# NAME defaults to the file name without .osm.pbf (-latest dropped) or the region's last part: monaco, berlin.
# Without --force, a dataset already prepared from the same extract is left as it is.
#
# Environment: OSRM_TOOLS (auto, the default: the PATH's osrm-* when present, else Docker; or path, or docker),
# OSRM_IMAGE (default ghcr.io/project-osrm/osrm-backend:v26.4.1), OSRM_PROFILE (default: car.lua from the OSRM
# installation on the PATH, or /opt/car.lua inside the image), OSRM_DATA_DIR (default: the directory of this script),
# GEOFABRIK_URL (default https://download.geofabrik.de).
set -euo pipefail

image=${OSRM_IMAGE:-ghcr.io/project-osrm/osrm-backend:v26.4.1}
tools=${OSRM_TOOLS:-auto}
profile=${OSRM_PROFILE:-}
data_dir=${OSRM_DATA_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
geofabrik=${GEOFABRIK_URL:-https://download.geofabrik.de}

die() {
  echo "prepare-osrm: $*" >&2
  exit 1
}
usage() {
  sed -n '7,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

name=''
force=0
source=''
while [ $# -gt 0 ]; do
  case $1 in
    --name) [ $# -ge 2 ] || usage; name=$2; shift 2 ;;
    --force) force=1; shift ;;
    -h | --help) usage ;;
    -*) echo "prepare-osrm: unknown option $1" >&2; usage ;;
    *) [ -z "$source" ] || usage; source=$1; shift ;;
  esac
done
[ -n "$source" ] || usage

# Where the extract comes from: a file, a URL, or a Geofabrik region path.
url=''
md5_url=''
if [ -f "$source" ]; then
  default_name=$(basename "$source")
elif [[ $source =~ ^https?:// ]]; then
  url=$source
  default_name=$(basename "${source%%\?*}")
elif [[ $source =~ ^[a-z0-9-]+(/[a-z0-9-]+)*$ ]]; then
  url="$geofabrik/$source-latest.osm.pbf"
  md5_url="$url.md5"
  default_name=$(basename "$source")
else
  die "$source is neither an existing file, a URL nor a Geofabrik region such as europe/monaco"
fi
default_name=${default_name%.osm.pbf}
default_name=${default_name%.pbf}
default_name=${default_name%-latest}
name=${name:-$default_name}
[[ $name =~ ^[A-Za-z0-9._-]+$ ]] || die "dataset name '$name' must be letters, digits, '.', '_' or '-'"

mkdir -p "$data_dir"
data_dir=$(cd "$data_dir" && pwd) # docker -v needs an absolute path
pbf="$data_dir/$name.osm.pbf"
done_marker="$data_dir/$name.osrm.mldgr"

# osrm-customize writes .osrm.mldgr last: its presence means a complete dataset. It is kept unless --force, or the
# local extract it came from is newer (a download is not repeated to find out).
if [ "$force" = 0 ] && [ -f "$done_marker" ] && { [ -n "$url" ] || [ "$done_marker" -nt "$source" ]; }; then
  echo "prepare-osrm: $data_dir/$name.osrm is up to date (use --force to rebuild)"
  exit 0
fi

# Which OSRM tools: the PATH's (a native or from-source install), or the image's through Docker.
on_path() { command -v osrm-extract >/dev/null && command -v osrm-partition >/dev/null && command -v osrm-customize >/dev/null; }
case $tools in
  auto) if on_path; then tools=path; else tools=docker; fi ;;
  path) on_path || die "OSRM_TOOLS=path, but osrm-extract, osrm-partition and osrm-customize are not all on the PATH" ;;
  docker) ;;
  *) die "OSRM_TOOLS must be auto, path or docker, got '$tools'" ;;
esac
if [ "$tools" = path ]; then
  if [ -z "$profile" ]; then
    # car.lua ships in <prefix>/share/osrm/profiles beside <prefix>/bin/osrm-extract (the source tree has profiles/).
    prefix=$(dirname "$(dirname "$(command -v osrm-extract)")")
    for candidate in "$prefix/share/osrm/profiles/car.lua" "$prefix/profiles/car.lua" /usr/local/share/osrm/profiles/car.lua /usr/share/osrm/profiles/car.lua; do
      if [ -f "$candidate" ]; then
        profile=$candidate
        break
      fi
    done
    [ -n "$profile" ] || die "no car.lua found beside $(command -v osrm-extract); set OSRM_PROFILE to the OSRM profiles/car.lua"
  fi
  [ -f "$profile" ] || die "OSRM_PROFILE $profile does not exist"
  echo "prepare-osrm: using $(command -v osrm-extract) and its siblings, profile $profile"
else
  profile=${profile:-/opt/car.lua}
  command -v docker >/dev/null || die "neither the OSRM tools (osrm-extract, osrm-partition, osrm-customize) nor docker are on the PATH: install one (see data/README.md)"
  docker info >/dev/null 2>&1 || die "the OSRM tools are not on the PATH and the docker engine is not reachable (is the daemon running, may this user use it?)"
  echo "prepare-osrm: using the OSRM tools in $image (Docker)"
fi

if [ -n "$url" ]; then
  echo "prepare-osrm: downloading $url"
  tmp="$pbf.download"
  trap 'rm -f "$tmp"' EXIT
  curl -fL --retry 3 --retry-delay 2 -o "$tmp" "$url" || die "download failed: $url"
  if [ -n "$md5_url" ]; then
    expected=$(curl -fsSL --retry 3 "$md5_url" | awk '{print $1}') || die "could not fetch $md5_url"
    actual=$(md5sum "$tmp" | awk '{print $1}')
    [ "$expected" = "$actual" ] || die "checksum mismatch for $url (expected $expected, got $actual)"
  fi
  mv "$tmp" "$pbf"
  trap - EXIT
elif [ "$(cd "$(dirname "$source")" && pwd)/$(basename "$source")" != "$pbf" ]; then
  cp -p "$source" "$pbf"
fi

# run TOOL ARGS…: one OSRM tool, on the PATH or in the image (where data/ is mounted at /data).
run() {
  echo "prepare-osrm: $*"
  if [ "$tools" = path ]; then
    "$@"
  else
    # Run as the calling user so the files in data/ are not owned by root.
    docker run --rm -u "$(id -u):$(id -g)" -v "$data_dir:/data" "$image" "$@"
  fi
}
if [ "$tools" = path ]; then dir=$data_dir; else dir=/data; fi
rm -f "$data_dir/$name.osrm".*
run osrm-extract -p "$profile" "$dir/$name.osm.pbf"
run osrm-partition "$dir/$name.osrm"
run osrm-customize "$dir/$name.osrm"

[ -f "$done_marker" ] || die "osrm-customize did not produce $name.osrm.mldgr"
echo "prepare-osrm: ready. Serve it with:"
if [ "$tools" = path ]; then
  echo "  osrm-routed --algorithm mld \"$data_dir/$name.osrm\""
else
  echo "  docker run --rm -p 5000:5000 -v \"$data_dir:/data\" $image osrm-routed --algorithm mld /data/$name.osrm"
fi
