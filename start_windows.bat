@echo off
rem Chatterbox Studio, one command: sets up on the first run, then starts the narration server and
rem the studio and opens the browser. Ctrl+C stops both.
rem Ports: CHATTERBOX_PORT (default 8000) and CHATTERBOX_STUDIO_PORT (default 8501), from the
rem environment or .env, as the server reads them; launcher.py passes nothing of its own.
setlocal
cd /d "%~dp0"

set "PYTHON_BIN=.venv_chatterbox\Scripts\python.exe"
if exist "%PYTHON_BIN%" goto start
echo First run: setting up (this installs the studio into .venv_chatterbox) ...
where py >nul 2>nul
if %ERRORLEVEL% equ 0 (
    py -3 setup_env.py
) else (
    python setup_env.py
)
if errorlevel 1 (
    echo Set-up did not finish; the messages above say why. Fix that and run this again.
    pause
    exit /b 1
)

:start
"%PYTHON_BIN%" launcher.py
set "CODE=%ERRORLEVEL%"
if not "%CODE%"=="0" pause
exit /b %CODE%
