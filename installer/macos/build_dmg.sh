#!/usr/bin/env bash
# Package dist/SyncMonitor.app (built by installer/syncmonitor.spec on macOS) into
# dist/installer/SyncMonitor-<version>.dmg, with an /Applications link to drag the app onto.
#
#   installer/macos/build_dmg.sh [path/to/SyncMonitor.app]
#
# Optional inputs (environment variables); without them the app and .dmg are left unsigned:
#   SIGN_IDENTITY   codesign identity, e.g. "Developer ID Application: Example Ltd (TEAMID1234)".
#                   Signs the app with the hardened runtime and installer/macos/entitlements.plist,
#                   then signs the .dmg. The identity must be in a keychain codesign can use.
#   NOTARY_PROFILE  a notarytool keychain profile (xcrun notarytool store-credentials NAME ...), or
#   APPLE_ID, TEAM_ID, APP_PASSWORD
#                   Apple ID, Team ID and an app-specific password for notarytool.
#                   Either set notarizes the .dmg (xcrun notarytool submit --wait) and staples the
#                   ticket to it (xcrun stapler staple). Notarization requires SIGN_IDENTITY.
#   VERSION         overrides the version read from the app's Info.plist.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
APP="${1:-$ROOT/dist/SyncMonitor.app}"
ENTITLEMENTS="$ROOT/installer/macos/entitlements.plist"
OUT_DIR="$ROOT/dist/installer"
VOLUME_NAME="Sync Monitor"

die() {
    echo "build_dmg.sh: $*" >&2
    exit 1
}

[[ -d "$APP" ]] || die "no app bundle at $APP (build it first: pyinstaller installer/syncmonitor.spec)"
[[ -x "$APP/Contents/MacOS/SyncMonitor" ]] || die "$APP has no Contents/MacOS/SyncMonitor"
command -v hdiutil >/dev/null || die "hdiutil not found: this script runs on macOS only"

VERSION="${VERSION:-$(/usr/libexec/PlistBuddy -c "Print :CFBundleShortVersionString" "$APP/Contents/Info.plist")}"
[[ -n "$VERSION" ]] || die "could not read CFBundleShortVersionString from $APP/Contents/Info.plist"
DMG="$OUT_DIR/SyncMonitor-$VERSION.dmg"

NOTARIZE=0
if [[ -n "${NOTARY_PROFILE:-}" ]]; then
    NOTARIZE=1
    NOTARY_AUTH=(--keychain-profile "$NOTARY_PROFILE")
elif [[ -n "${APPLE_ID:-}" && -n "${TEAM_ID:-}" && -n "${APP_PASSWORD:-}" ]]; then
    NOTARIZE=1
    NOTARY_AUTH=(--apple-id "$APPLE_ID" --team-id "$TEAM_ID" --password "$APP_PASSWORD")
fi
if [[ "$NOTARIZE" == 1 && -z "${SIGN_IDENTITY:-}" ]]; then
    die "notarization needs a signed app: set SIGN_IDENTITY too"
fi

# 1. Sign the app (optional): hardened runtime, secure timestamp, PySide6's entitlements.
if [[ -n "${SIGN_IDENTITY:-}" ]]; then
    echo "Signing $APP as \"$SIGN_IDENTITY\""
    codesign --force --deep --timestamp --options runtime \
        --entitlements "$ENTITLEMENTS" --sign "$SIGN_IDENTITY" "$APP"
    codesign --verify --deep --strict --verbose=2 "$APP"
else
    echo "SIGN_IDENTITY not set: the app and .dmg stay unsigned (Gatekeeper will warn)."
fi

# 2. Build the compressed disk image: the app plus a link to /Applications.
STAGING="$(mktemp -d)"
trap 'rm -rf "$STAGING"' EXIT
ditto "$APP" "$STAGING/SyncMonitor.app"
ln -s /Applications "$STAGING/Applications"
mkdir -p "$OUT_DIR"
rm -f "$DMG"
hdiutil create -volname "$VOLUME_NAME" -srcfolder "$STAGING" -fs HFS+ -format UDZO -ov "$DMG"

if [[ -n "${SIGN_IDENTITY:-}" ]]; then
    codesign --force --timestamp --sign "$SIGN_IDENTITY" "$DMG"
fi

# 3. Notarize and staple (optional).
if [[ "$NOTARIZE" == 1 ]]; then
    echo "Submitting $DMG for notarization (this can take several minutes)"
    RESULT="$(xcrun notarytool submit "$DMG" "${NOTARY_AUTH[@]}" --wait --output-format json)" || true
    echo "$RESULT"
    if ! grep -q '"status" *: *"Accepted"' <<<"$RESULT"; then
        SUBMISSION_ID="$(sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p' <<<"$RESULT")"
        if [[ -n "$SUBMISSION_ID" ]]; then
            xcrun notarytool log "$SUBMISSION_ID" "${NOTARY_AUTH[@]}" || true
        fi
        die "notarization was not accepted"
    fi
    xcrun stapler staple "$DMG"
    xcrun stapler validate "$DMG"
else
    echo "No NOTARY_PROFILE or APPLE_ID/TEAM_ID/APP_PASSWORD: skipping notarization."
fi

hdiutil verify "$DMG"
echo "Built $DMG"
