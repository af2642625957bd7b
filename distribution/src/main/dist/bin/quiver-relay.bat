@echo off
rem Runs a standalone Quiver relay server on Windows (no node, no OSGi framework). See "quiver-relay --help".
rem JAVA_HOME or java on the PATH; JAVA_OPTS adds JVM options.
setlocal EnableDelayedExpansion
for %%I in ("%~dp0..") do set "QUIVER_DIST=%%~fI"
if defined JAVA_HOME (set "JAVA=%JAVA_HOME%\bin\java.exe") else (set "JAVA=java")
set "CP="
for %%J in ("%QUIVER_DIST%\bundle\quiver-api-*.jar" "%QUIVER_DIST%\bundle\quiver-relay-protocol-*.jar" "%QUIVER_DIST%\bundle\quiver-relay-server-*.jar" "%QUIVER_DIST%\bundle\netty-*.jar") do set "CP=!CP!;%%~fJ"
"%JAVA%" %JAVA_OPTS% -cp "!CP:~1!" org.quiver.relay.server.RelayMain %*
exit /b %ERRORLEVEL%
