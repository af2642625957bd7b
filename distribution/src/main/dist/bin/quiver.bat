@echo off
rem Starts a Quiver node on Windows. See "quiver --help".
rem JAVA_HOME or java on the PATH; JAVA_OPTS adds JVM options; QUIVER_HOME sets the default data folder.
rem There is no epoll on Windows: the transport runs on NIO, with the windows-x86_64 QUIC natives in bundle\.
setlocal
for %%I in ("%~dp0..") do set "QUIVER_DIST=%%~fI"
if defined JAVA_HOME (set "JAVA=%JAVA_HOME%\bin\java.exe") else (set "JAVA=java")
"%JAVA%" -XX:TieredStopAtLevel=1 -Xshare:auto %JAVA_OPTS% ^
  "-Dquiver.dist=%QUIVER_DIST%" "-Dgosh.home=%QUIVER_DIST%" ^
  "-Djava.util.logging.SimpleFormatter.format=%%4$s: %%5$s%%6$s%%n" ^
  -cp "%QUIVER_DIST%\lib\*" org.quiver.launcher.Main %*
exit /b %ERRORLEVEL%
