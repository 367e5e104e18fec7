; Inno Setup 6 script for Sync Monitor (Windows installer).
;
; Build the PyInstaller one-folder app first (dist\SyncMonitor\SyncMonitor.exe), then, from the
; repository root:
;
;   iscc /DAppVersion=0.1.0 installer\windows\syncmonitor.iss
;
; Output: dist\installer\SyncMonitor-<version>-setup.exe
;
; Optional code signing (setup.exe and the uninstaller): define Sign and register a sign tool
; named "smsign" on the ISCC command line; $f is replaced by the quoted file to sign:
;
;   iscc /DAppVersion=0.1.0 /DSign ^
;     "/Ssmsign=signtool.exe sign /f C:\path\cert.pfx /p PASSWORD /fd sha256 /tr http://timestamp.digicert.com /td sha256 $f" ^
;     installer\windows\syncmonitor.iss
;
; (Sign dist\SyncMonitor\SyncMonitor.exe itself with signtool before running ISCC; the CI
; workflow .github/workflows/installers.yml does both when the signing secrets exist.)
;
; Uninstall: the uninstaller asks whether to remove the user's data (%LOCALAPPDATA%\syncmonitor:
; settings, database, logs, cache); the default answer is No (keep). A silent uninstall
; (/SILENT or /VERYSILENT) keeps the data unless /REMOVEUSERDATA is also given.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=0.1.0 installer\windows\syncmonitor.iss
#endif

#define AppName "Sync Monitor"
#define AppExeName "SyncMonitor.exe"
#define AppPublisher "Sync Monitor"

[Setup]
; Never change the AppId: upgrades and the uninstaller find the installed app by it.
AppId={{BA95341F-974C-41FE-B129-3B5C03815C1C}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
VersionInfoVersion={#AppVersion}
; Paths below are relative to the repository root (this file lives in installer\windows).
SourceDir=..\..
OutputDir=dist\installer
OutputBaseFilename=SyncMonitor-{#AppVersion}-setup
SetupIconFile=resources\icons\app.ico
UninstallDisplayIcon={app}\{#AppExeName}
UninstallDisplayName={#AppName}
; Per-user install by default (no admin rights, into %LOCALAPPDATA%\Programs); the dialog lets
; an administrator choose an all-users install instead.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DefaultDirName={autopf}\{#AppName}
DisableProgramGroupPage=yes
UsedUserAreasWarning=no
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
; Close a running Sync Monitor (Restart Manager) before files are replaced.
CloseApplications=yes
CloseApplicationsFilter=*.exe,*.dll,*.pyd
RestartApplications=no
#ifdef Sign
SignTool=smsign
SignedUninstaller=yes
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "startatlogin"; Description: "Start Sync Monitor when I sign in"; GroupDescription: "Startup:"; Flags: unchecked

[Files]
Source: "dist\SyncMonitor\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
; Start menu entry
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExeName}"; WorkingDir: "{app}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; WorkingDir: "{app}"; Tasks: desktopicon

[Registry]
; "Start Sync Monitor when I sign in": the current user's Run key; the value goes with the uninstall.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "SyncMonitor"; ValueData: """{app}\{#AppExeName}"""; Flags: uninsdeletevalue; Tasks: startatlogin

[Run]
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallRun]
; Stop the app (and its sandbox child, also SyncMonitor.exe) so its files can be removed.
Filename: "{sys}\taskkill.exe"; Parameters: "/F /T /IM {#AppExeName}"; Flags: runhidden waituntilterminated; RunOnceId: "StopSyncMonitor"

[Code]
var
  RemoveUserData: Boolean;

function UserDataDir(): String;
begin
  { platformdirs puts config, data, logs and cache under %LOCALAPPDATA%\syncmonitor }
  Result := ExpandConstant('{localappdata}\syncmonitor');
end;

function HasCommandLineSwitch(const Name: String): Boolean;
var
  I: Integer;
begin
  Result := False;
  for I := 1 to ParamCount do
    if CompareText(ParamStr(I), Name) = 0 then
    begin
      Result := True;
      Exit;
    end;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  case CurUninstallStep of
    usUninstall:
      begin
        { Ask before anything is removed. Default: keep the data. }
        RemoveUserData := False;
        if UninstallSilent() then
          RemoveUserData := HasCommandLineSwitch('/REMOVEUSERDATA')
        else if DirExists(UserDataDir()) then
          RemoveUserData := SuppressibleMsgBox(
            'Do you also want to remove your Sync Monitor data?' + #13#10 + #13#10 +
            'This deletes your settings, the local database, logs and cache in:' + #13#10 +
            UserDataDir() + #13#10 + #13#10 +
            'Choose No to keep them (for example to reinstall later).' + #13#10 +
            'Saved passwords and API keys stay in Windows Credential Manager either way.',
            mbConfirmation, MB_YESNO or MB_DEFBUTTON2, IDNO) = IDYES;
      end;
    usPostUninstall:
      begin
        { The app was stopped by [UninstallRun] and its files are gone: now remove the data. }
        if RemoveUserData and DirExists(UserDataDir()) then
          if not DelTree(UserDataDir(), True, True, True) then
            SuppressibleMsgBox('Some files in ' + UserDataDir() +
              ' could not be removed. You can delete the folder yourself.',
              mbInformation, MB_OK, IDOK);
      end;
  end;
end;
