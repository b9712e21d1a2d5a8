using System.Runtime.InteropServices;

namespace Pipeline.Sink;

/// <summary>
/// fsync of a directory, so that a rename survives a power loss. .NET has no API for it; on Windows NTFS
/// journals the rename itself, so there it is a no-op.
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnlyFlag = 0;

    /// <summary>Best effort: returns false when the platform or file system does not allow it.</summary>
    public static bool TryFlush(string directory)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()))
        {
            return false;
        }

        var fd = Open(directory, ReadOnlyFlag);
        if (fd < 0)
        {
            return false;
        }

        try
        {
            return Fsync(fd) == 0;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
