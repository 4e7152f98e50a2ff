# Build Skyvern Desktop on Windows: the one-folder app with PyInstaller, then the installer
# with Inno Setup (Start-menu entry, optional desktop icon, uninstaller).
#
#   powershell -ExecutionPolicy Bypass -File packaging\build.ps1
#   $env:DIST_DIR = "C:\out"; powershell -File packaging\build.ps1
#   powershell -File packaging\build.ps1 -BundleOnly
#
# Output (in $env:DIST_DIR, default dist\):
#   skyvern-desktop\skyvern-desktop.exe       the one-folder app
#   Skyvern-Desktop-<version>-Setup.exe       the installer (needs Inno Setup 6's iscc)
# The same steps as packaging/build on Linux and macOS.
param([switch]$BundleOnly)
$ErrorActionPreference = "Stop"

$Here = Split-Path -Parent $MyInvocation.MyCommand.Path
$Root = Split-Path -Parent $Here
$Python = if ($env:PYTHON) { $env:PYTHON } else { "python" }
$Dist = if ($env:DIST_DIR) { $env:DIST_DIR } else { Join-Path $Root "dist" }
$Base = if ($env:BUILD_DIR) { $env:BUILD_DIR } else { Join-Path $Root "build\pyinstaller" }
$Work = Join-Path $Base "work"
$Stage = Join-Path $Base "stage"

Set-Location $Root
Write-Host "==> build tools and the app's own dependencies"
New-Item -ItemType Directory -Force -Path $Work | Out-Null
$Requirements = Join-Path $Work "requirements.txt"
& $Python -c "import pathlib, tomllib; d = tomllib.loads(pathlib.Path('pyproject.toml').read_text())['project']['dependencies']; print('\n'.join(['pyinstaller>=6.10,<7', *d]))" | Set-Content -Encoding utf8 $Requirements
& $Python -m pip install --quiet --disable-pip-version-check -r $Requirements
if ($LASTEXITCODE) { throw "pip failed" }

Write-Host "==> staging the installed package in $Stage"
if (Test-Path $Stage) { Remove-Item -Recurse -Force $Stage }
& $Python -m pip install --quiet --disable-pip-version-check --no-deps --no-compile --target $Stage $Root
if ($LASTEXITCODE) { throw "staging failed" }

Write-Host "==> PyInstaller (one folder, windowed) into $Dist"
New-Item -ItemType Directory -Force -Path $Dist | Out-Null
$env:STAGE = $Stage
& $Python -m PyInstaller --noconfirm --clean --log-level WARN --distpath $Dist --workpath $Work (Join-Path $Here "skyvern-desktop.spec")
if ($LASTEXITCODE) { throw "PyInstaller failed" }
if ($BundleOnly) { Write-Host "bundle: $Dist\skyvern-desktop"; exit 0 }

$Version = & $Python -c "import sys; sys.path.insert(0, r'$Stage'); import skyvern_desktop; print(skyvern_desktop.__version__)"
$Iscc = Get-Command iscc -ErrorAction SilentlyContinue
if (-not $Iscc) {
  $Candidate = Join-Path ${env:ProgramFiles(x86)} "Inno Setup 6\ISCC.exe"
  if (Test-Path $Candidate) { $Iscc = Get-Command $Candidate }
}
if (-not $Iscc) { throw "Inno Setup 6 (iscc) not found: install it (choco install innosetup) or use -BundleOnly" }
& $Iscc.Source "/DAppVersion=$Version" "/DBundleDir=$Dist\skyvern-desktop" "/DOutputDir=$Dist" "/DRootDir=$Root" (Join-Path $Here "windows\skyvern-desktop.iss")
if ($LASTEXITCODE) { throw "Inno Setup failed" }
Write-Host "done: $Dist"
