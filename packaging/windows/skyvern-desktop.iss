; Inno Setup 6 script: installs the one-folder build for the current user (no admin
; rights needed), adds a Start-menu entry and an optional desktop icon, and registers an
; uninstaller in Settings → Apps. packaging/build.ps1 passes the four defines below.
;
;   iscc /DAppVersion=0.1.0 /DBundleDir=dist\skyvern-desktop /DOutputDir=dist /DRootDir=. packaging\windows\skyvern-desktop.iss

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\skyvern-desktop"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#ifndef RootDir
  #define RootDir "..\.."
#endif

[Setup]
AppId={{6C4F2B0E-6E8A-4C1B-9F2D-5A3E7B1D9C40}
AppName=Skyvern Desktop
AppVersion={#AppVersion}
AppVerName=Skyvern Desktop {#AppVersion}
AppPublisher=Skyvern Desktop contributors
AppPublisherURL=https://www.skyvern.com
DefaultDirName={autopf}\Skyvern Desktop
DefaultGroupName=Skyvern Desktop
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
OutputDir={#OutputDir}
OutputBaseFilename=Skyvern-Desktop-{#AppVersion}-Setup
SetupIconFile={#RootDir}\resources\skyvern-desktop.ico
UninstallDisplayIcon={app}\skyvern-desktop.exe
UninstallDisplayName=Skyvern Desktop
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Skyvern Desktop"; Filename: "{app}\skyvern-desktop.exe"; WorkingDir: "{app}"
Name: "{group}\Uninstall Skyvern Desktop"; Filename: "{uninstallexe}"
Name: "{autodesktop}\Skyvern Desktop"; Filename: "{app}\skyvern-desktop.exe"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\skyvern-desktop.exe"; Description: "{cm:LaunchProgram,Skyvern Desktop}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; The app's settings, logs and local-server data live in the user's AppData and are kept,
; like most programs do; only what the installer put here is removed.
Type: filesandordirs; Name: "{app}"
