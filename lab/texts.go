package lab

import (
	"strings"

	"github.com/wsbbot/wsbbot/lab/ps"
)

// Languages a host can speak.
const (
	LangEnglish  = "en"
	LangJapanese = "ja"
)

// texts holds every string a host prints that Windows localizes. The
// English strings follow the real captures in testdata/samples where
// one exists; the Japanese ones follow ja-JP captures where they exist (the
// vssadmin writer block of ja-01, wbadmin get versions ja-01, "クエリを満たす
// 項目が何もありませんでした") and Microsoft's usual ja-JP wording elsewhere.
type texts struct {
	ps.Culture // what the interpreter itself prints

	// cmd.exe
	notRecognized func(name string) string
	echoOn        string

	// vssadmin
	vssBanner                                        string
	writerName, writerID, writerInst, state, lastErr string
	quoteL, quoteR                                   string
	stateWords                                       map[int]string
	failedWord                                       string
	errWords                                         map[string]string
	noItems                                          string
	vssInvalid                                       string
	ssAssoc, ssFor, ssOn, ssUsed, ssAlloc, ssMax     string
	ssUnbounded                                      string
	shSet, shContained, shID, shOrig, shVol          string
	shOrigMachine, shSvcMachine, shProvider, shType  string
	shAttrs                                          string

	// wbadmin
	wbBanner                                          string
	verTime, verTarget, verID, verRecover, verSnap    string
	targetDisk, targetNetwork                         string
	recVolumes, recFiles, recApps, recBMR, recSystem  string
	noVersions                                        string
	statusIdle                                        string
	progShadow, progScan, progVolume, progVolumeDone  string
	progRetrieving, progStarting                      string
	progSummary, progSuccess, progFailed, progDetail  string
	progCancelled                                     string
	stopNoJob, stopDone                               string
	wbSyntax                                          string
	diskName, diskNumber, diskID, diskTotal, diskUsed string
	diskVolumes, noLetter                             string
	localDisk                                         string

	// fsutil
	usnNotActive, pathNotFound, fsutilUsage string
	freeBytes, totalBytes, quotaFree        string

	// mountvol
	mountvolUsage, mountvolHeader, noMountPoints string
	dirNotEmpty, paramIncorrect, fileNotFound    string
	badSyntax, accessDenied                      string

	// net / sc
	netStopping, netStopped, netStarting, netStarted string
	netAlreadyStarted, netNotStarted, netBadName     string
	netHelp                                          string
	netDependents, netContinue, netNoResponse        string
	netCannotStop                                    string
	netStartedList, netDone                          string
	scNoService                                      string

	// PowerShell
	psServiceNotFound                               string
	psAccessDenied, psPathNotFound, psNoEvents      string
	psDependents                                    string
	psNameResolution                                string
	psNetworkPath, psNoProperty                     string
	psNoVolume, psNoPartition, psNoDisk, psNoCim    string
	psServiceCannotStart, psJobRunning, psNoWBJob   string
	psInvalidClass, psServiceCannotStop             string
	psDriveNotFound, psModuleNotFound               string
	psNoLog                                         string
	psWBNoPolicy                                    string
	psTestConnectionFailed, psTestConnectionWarning string

	// events and HRESULT texts
	evStarted, evSucceeded, evFailed, evCompleted, evRestore string
	hrText                                                   map[uint32]string

	// dates
}

func textsFor(lang string) *texts {
	if lang == LangJapanese {
		return jaTexts()
	}
	return enTexts()
}

func enTexts() *texts {
	return &texts{
		Culture: ps.Culture{
			Lang:           LangEnglish,
			NotRecognized:  "The term '%s' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.",
			AtLine:         "At line:%d char:%d",
			ParamNotFound:  "A parameter cannot be found that matches parameter name '%s'.",
			Positional:     "A positional parameter cannot be found that accepts argument '%s'.",
			MethodNotFound: "Method invocation failed because [%s] does not contain a method named '%s'.",
			Unsupported:    "The wsbbot lab does not simulate this PowerShell syntax: %s (lab/ps lists the subset it runs).",
			CannotConvert:  "Cannot convert value \"%s\" to type \"%s\".",
			ShortDateTime:  "1/2/2006 3:04:05 PM",
			ShortDate:      "1/2/2006",
			DateTimeNoSec:  "1/2/2006 3:04 PM",
			LongDate:       "Monday, January 2, 2006 3:04:05 PM",
		},
		notRecognized: func(name string) string {
			return "'" + name + "' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"
		},
		echoOn: "ECHO is on.",

		vssBanner:     "vssadmin 1.1 - Volume Shadow Copy Service administrative command-line tool\r\n(C) Copyright 2001-2013 Microsoft Corp.\r\n",
		writerName:    "Writer name: ",
		writerID:      "   Writer Id: ",
		writerInst:    "   Writer Instance Id: ",
		state:         "   State: ",
		lastErr:       "   Last error: ",
		quoteL:        "'",
		quoteR:        "'",
		stateWords:    map[int]string{0: "Unknown", 1: "Stable", 2: "Waiting for freeze", 3: "Waiting for thaw", 4: "Waiting for post snapshot", 5: "Waiting for completion"},
		failedWord:    "Failed",
		errWords:      map[string]string{errNone: "No error", errRetryable: "Retryable error", errNonRetryable: "Non-retryable error", errInconsistent: "Inconsistent shadow copy", errTimeout: "Timed out"},
		noItems:       "No items found that satisfy the query.",
		vssInvalid:    "Error: Invalid command.\r\n",
		ssAssoc:       "Shadow Copy Storage association",
		ssFor:         "   For volume: ",
		ssOn:          "   Shadow Copy Storage volume: ",
		ssUsed:        "   Used Shadow Copy Storage space: ",
		ssAlloc:       "   Allocated Shadow Copy Storage space: ",
		ssMax:         "   Maximum Shadow Copy Storage space: ",
		ssUnbounded:   "UNBOUNDED",
		shSet:         "Contents of shadow copy set ID: ",
		shContained:   "   Contained %d shadow copies at creation time: ",
		shID:          "      Shadow Copy ID: ",
		shOrig:        "         Original Volume: ",
		shVol:         "         Shadow Copy Volume: ",
		shOrigMachine: "         Originating Machine: ",
		shSvcMachine:  "         Service Machine: ",
		shProvider:    "         Provider: ",
		shType:        "         Type: ",
		shAttrs:       "         Attributes: ",

		wbBanner:       "wbadmin 1.0 - Backup command-line tool\r\n(C) Copyright Microsoft Corporation. All rights reserved.\r\n",
		verTime:        "Backup time: ",
		verTarget:      "Backup target: ",
		verID:          "Version identifier: ",
		verRecover:     "Can recover: ",
		verSnap:        "Snapshot ID: ",
		targetDisk:     "Fixed Disk labeled %s",
		targetNetwork:  "Network Share labeled %s",
		recVolumes:     "Volume(s)",
		recFiles:       "File(s)",
		recApps:        "Application(s)",
		recBMR:         "Bare Metal Recovery",
		recSystem:      "System State",
		noVersions:     "There are no backups available.",
		statusIdle:     "No backup or recovery operation is currently running.",
		progRetrieving: "Retrieving volume information...",
		progStarting:   "This will back up %s to %s.\r\nThe backup operation to %s is starting.",
		progShadow:     "Creating a shadow copy of the volumes specified for backup...",
		progScan:       "Scanning the file system...",
		progVolume:     "Creating a backup of volume %s, copied (%d%%).",
		progVolumeDone: "The backup of volume %s successfully completed.",
		progSummary:    "Summary of the backup operation:\r\n------------------",
		progSuccess:    "The backup operation successfully completed.",
		progFailed:     "ERROR - The backup operation stopped before completing.",
		progDetail:     "Detailed error: %s",
		progCancelled:  "The backup operation was stopped.",
		stopNoJob:      "There is no backup or recovery operation running that can be stopped.",
		stopDone:       "The operation was stopped.",
		wbSyntax:       "ERROR - Command syntax incorrect. Error: %s. See the command\r\nsyntax below.\r\n",
		diskName:       "Disk name: ",
		diskNumber:     "Disk number: ",
		diskID:         "Disk identifier: ",
		diskTotal:      "Total space: ",
		diskUsed:       "Used space : ",
		diskVolumes:    "Volumes: ",
		noLetter:       "[(no drive letter)]",
		localDisk:      "Local disk",

		usnNotActive: "Error:  The volume change journal is not active.",
		pathNotFound: "Error:  The system cannot find the path specified.",
		fsutilUsage:  "Usage : fsutil usn deleteJournal <flags> <volume pathname>\r\n   Flags : /D : Delete\r\n           /N : Notify\r\n   Eg : fsutil usn deleteJournal /D C:\r\n",
		freeBytes:    "Total # of free bytes        : ",
		totalBytes:   "Total # of bytes             : ",
		quotaFree:    "Total # of avail free bytes  : ",

		mountvolUsage: "Creates, deletes, or lists a volume mount point.\r\n\r\n" +
			"MOUNTVOL [drive:]path VolumeName\r\n" +
			"MOUNTVOL [drive:]path /D\r\n" +
			"MOUNTVOL [drive:]path /L\r\n" +
			"MOUNTVOL [drive:]path /P\r\n" +
			"MOUNTVOL /R\r\n" +
			"MOUNTVOL /N\r\n" +
			"MOUNTVOL /E\r\n" +
			"MOUNTVOL drive: /S\r\n\r\n" +
			"    path        Specifies the existing NTFS directory where the mount\r\n" +
			"                point will reside.\r\n" +
			"    VolumeName  Specifies the volume name that is the target of the mount\r\n" +
			"                point.\r\n" +
			"    /D          Removes the volume mount point from the specified directory.\r\n" +
			"    /L          Lists the mounted volume name for the specified directory.\r\n" +
			"    /P          Removes the volume mount point from the specified directory,\r\n" +
			"                dismounts the volume, and makes the volume not mountable.\r\n" +
			"                You can make the volume mountable again by creating a volume\r\n" +
			"                mount point.\r\n" +
			"    /R          Removes volume mount point directories and registry settings\r\n" +
			"                for volumes that are no longer in the system.\r\n" +
			"    /N          Disables automatic mounting of new volumes.\r\n" +
			"    /E          Re-enables automatic mounting of new volumes.\r\n" +
			"    /S          Mount the EFI System Partition on the given drive.\r\n",
		mountvolHeader: "Possible values for VolumeName along with current mount points are:",
		noMountPoints:  "*** NO MOUNT POINTS ***",
		dirNotEmpty:    "The directory is not empty.",
		paramIncorrect: "The parameter is incorrect.",
		fileNotFound:   "The system cannot find the file specified.",
		badSyntax:      "The filename, directory name, or volume label syntax is incorrect.",
		accessDenied:   "Access is denied.",

		netStopping:       "The %s service is stopping.",
		netStopped:        "The %s service was stopped successfully.",
		netStarting:       "The %s service is starting.",
		netStarted:        "The %s service was started successfully.",
		netAlreadyStarted: "The requested service has already been started.",
		netNotStarted:     "The %s service is not started.",
		netBadName:        "The service name is invalid.",
		netHelp:           "More help is available by typing NET HELPMSG %d.",
		netDependents:     "The following services are dependent on the %s service.\r\nStopping the %s service will also stop these services.",
		netContinue:       "Do you want to continue this operation? (Y/N) [N]: ",
		netNoResponse:     "No valid response was provided.",
		netCannotStop:     "The requested pause, continue, or stop is not valid for this service.",
		netStartedList:    "These Windows services are started:",
		netDone:           "The command completed successfully.",
		scNoService:       "The specified service does not exist as an installed service.",

		psServiceNotFound:       "Cannot find any service with service name '%s'.",
		psAccessDenied:          "Access to the path '%s' is denied.",
		psPathNotFound:          "Cannot find path '%s' because it does not exist.",
		psNoEvents:              "No events were found that match the specified selection criteria.",
		psDependents:            "Cannot stop service '%s (%s)' because it has dependent services. It can only be stopped if the Force flag is set.",
		psNameResolution:        "Name resolution of %s failed",
		psNetworkPath:           "The network path was not found.",
		psNoProperty:            "Property \"%s\" cannot be found on this object. Verify that the property exists.",
		psNoVolume:              "No MSFT_Volume objects found with property 'DriveLetter' equal to '%s'.  Verify the value of the property and retry.",
		psNoPartition:           "No MSFT_Partition objects found with property '%s' equal to '%s'.  Verify the value of the property and retry.",
		psNoDisk:                "No MSFT_Disk objects found with property 'Number' equal to '%s'.  Verify the value of the property and retry.",
		psNoCim:                 "Invalid class",
		psServiceCannotStart:    "Service '%s (%s)' cannot be started due to the following error: Cannot start service %s on computer '.'.",
		psJobRunning:            "The backup cannot be started because another backup or recovery operation is already running.",
		psNoWBJob:               "",
		psInvalidClass:          "Invalid class ",
		psServiceCannotStop:     "Service '%s (%s)' cannot be stopped due to the following error: Cannot stop %s service on computer '.'.",
		psDriveNotFound:         "Cannot find drive. A drive with the name '%s' does not exist.",
		psModuleNotFound:        "The specified module '%s' was not loaded because no valid module file was found in any module directory.",
		psNoLog:                 "There is not an event log on the localhost computer that matches \"%s\".",
		psWBNoPolicy:            "No backup policy is configured on this computer.",
		psTestConnectionFailed:  "TCP connect to (%s : %d) failed",
		psTestConnectionWarning: "Ping to %s failed with status: TimedOut",

		evStarted:   "The backup operation has started.",
		evSucceeded: "The backup operation has finished successfully.",
		evFailed:    "The backup operation that started at '%s' has failed with following error code '%s' (%s). Please review the event details for a solution, and then rerun the backup operation once the issue is resolved.",
		evCompleted: "The backup operation has completed.",
		evRestore:   "The file recovery operation that started at '%s' has completed successfully.",
		hrText: map[uint32]string{
			0x800423F4: "The writer experienced a non-transient error.  If the backup process is retried, the error is likely to reoccur.",
			0x800423F3: "The writer experienced a transient error.  If the backup process is retried, the error may not reoccur.",
			0x8004231F: "Insufficient storage available to create either the shadow copy storage file or other shadow copy data.",
			0x80070005: "Access is denied.",
			0x800701B1: "A device which does not exist was specified.",
			0x80780119: "There is not enough disk space to create the volume shadow copy on the storage location.",
			0x807800A1: "Creating a shadow copy of the volumes in the backup failed.",
			0x807800C5: "There was a failure in preparing the backup image of one of the volumes in the backup set.",
			// No source gives Microsoft's text for 0x80780166: this is the
			// lab's own wording, shown only beside that code (event 517
			// quotes the text of the code it names, never the detailed one's).
			0x80780166: "The backup storage location could not be found.",
			0x807800C1: "The backup was cancelled.",
		},
	}
}

func jaTexts() *texts {
	t := enTexts()
	t.Lang = LangJapanese
	t.notRecognized = func(name string) string {
		return "'" + name + "' は、内部コマンドまたは外部コマンド、\r\n操作可能なプログラムまたはバッチ ファイルとして認識されていません。\r\n"
	}
	t.echoOn = "ECHO は <ON> です。"

	t.vssBanner = "vssadmin 1.1 – ボリューム シャドウ コピー サービス管理コマンド ライン ツール\r\n(C) Copyright 2001-2013 Microsoft Corp.\r\n"
	t.writerName = "ライター名: "
	t.writerID = "   ライター Id: "
	t.writerInst = "   ライター インスタンス Id: "
	t.state = "   状態: "
	t.lastErr = "   最後のエラー: "
	t.quoteL, t.quoteR = "‘", "’"
	t.stateWords = map[int]string{0: "不明", 1: "安定", 2: "フリーズの待機中", 3: "解凍の待機中", 4: "ポスト スナップショットの待機中", 5: "完了の待機中"}
	t.failedWord = "失敗"
	t.errWords = map[string]string{errNone: "エラーなし", errRetryable: "再試行可能なエラー", errNonRetryable: "再試行不可能なエラー", errInconsistent: "シャドウ コピーの不整合", errTimeout: "タイムアウト"}
	t.noItems = "クエリを満たす項目が何もありませんでした"
	t.vssInvalid = "エラー: 無効なコマンドです。\r\n"
	t.ssAssoc = "シャドウ コピーの記憶域の関連付け"
	t.ssFor = "   ボリューム: "
	t.ssOn = "   シャドウ コピーの記憶域ボリューム: "
	t.ssUsed = "   使用済みのシャドウ コピーの記憶域: "
	t.ssAlloc = "   割り当て済みのシャドウ コピーの記憶域: "
	t.ssMax = "   最大シャドウ コピー記憶域: "
	t.ssUnbounded = "無制限"
	t.shSet = "シャドウ コピー セット ID の内容: "
	t.shContained = "   作成時に %d 個のシャドウ コピーが含まれていました: "
	t.shID = "      シャドウ コピー ID: "
	t.shOrig = "         元のボリューム: "
	t.shVol = "         シャドウ コピー ボリューム: "
	t.shOrigMachine = "         作成元のコンピューター: "
	t.shSvcMachine = "         サービス コンピューター: "
	t.shProvider = "         プロバイダー: "
	t.shType = "         種類: "
	t.shAttrs = "         属性: "

	t.wbBanner = "wbadmin 1.0 - バックアップ コマンドライン ツール\r\n(C) Copyright Microsoft Corporation. All rights reserved.\r\n"
	t.verTime = "バックアップ時間: "
	t.verTarget = "バックアップ対象: "
	t.verID = "バージョン識別子: "
	t.verRecover = "回復可能: "
	t.verSnap = "スナップショット ID: "
	t.targetDisk = "固定ディスク ラベル付き %s"
	t.targetNetwork = "ネットワーク共有 ラベル付き %s"
	t.recVolumes = "ボリューム"
	t.recFiles = "ファイル"
	t.recApps = "アプリケーション"
	t.recBMR = "ベア メタル回復"
	t.recSystem = "システム状態"
	t.noVersions = "使用可能なバックアップはありません。"
	t.statusIdle = "現在実行中のバックアップ操作または回復操作はありません。"
	t.progRetrieving = "ボリューム情報を取得しています..."
	t.progStarting = "%s を %s にバックアップします。\r\n%s へのバックアップ操作を開始しています。"
	t.progShadow = "バックアップ用に指定されたボリュームのシャドウ コピーを作成しています..."
	t.progScan = "ファイル システムをスキャンしています..."
	t.progVolume = "ボリューム %s のバックアップを作成しています。%d%% コピーしました。"
	t.progVolumeDone = "ボリューム %s のバックアップが正常に完了しました。"
	t.progSummary = "バックアップ操作の概要:\r\n------------------"
	t.progSuccess = "バックアップ操作が正常に完了しました。"
	t.progFailed = "エラー - バックアップ操作は完了前に停止しました。"
	t.progDetail = "詳細エラー: %s"
	t.progCancelled = "バックアップ操作は停止されました。"
	t.stopNoJob = "停止できる実行中のバックアップ操作または回復操作はありません。"
	t.stopDone = "操作は停止されました。"
	t.wbSyntax = "エラー - コマンドの構文が正しくありません。エラー: %s。以下のコマンド構文を参照してください。\r\n"
	t.diskName = "ディスク名: "
	t.diskNumber = "ディスク番号: "
	t.diskID = "ディスク ID: "
	t.diskTotal = "合計領域: "
	t.diskUsed = "使用領域 : "
	t.diskVolumes = "ボリューム: "
	t.noLetter = "[(ドライブ文字なし)]"
	t.localDisk = "ローカル ディスク"

	t.usnNotActive = "エラー:  ボリューム変更ジャーナルはアクティブではありません。"
	t.pathNotFound = "エラー:  指定されたパスが見つかりません。"
	t.freeBytes = "空きバイト総数               : "
	t.totalBytes = "バイト総数                   : "
	t.quotaFree = "利用可能な空きバイト総数     : "

	t.mountvolUsage = "ボリューム マウント ポイントを作成、削除、または一覧表示します。\r\n\r\n" +
		"MOUNTVOL [ドライブ:]パス ボリューム名\r\n" +
		"MOUNTVOL [ドライブ:]パス /D\r\n" +
		"MOUNTVOL [ドライブ:]パス /L\r\n" +
		"MOUNTVOL [ドライブ:]パス /P\r\n" +
		"MOUNTVOL /R\r\n" +
		"MOUNTVOL /N\r\n" +
		"MOUNTVOL /E\r\n" +
		"MOUNTVOL ドライブ: /S\r\n\r\n" +
		"    パス        マウント ポイントを置く既存の NTFS ディレクトリを指定します。\r\n" +
		"    ボリューム名  マウント ポイントのターゲットであるボリューム名を指定します。\r\n" +
		"    /D          指定したディレクトリからボリューム マウント ポイントを削除します。\r\n" +
		"    /L          指定したディレクトリのマウントされたボリューム名を表示します。\r\n" +
		"    /P          指定したディレクトリからボリューム マウント ポイントを削除し、\r\n" +
		"                ボリュームをマウント解除して、マウントできないようにします。\r\n" +
		"    /R          システムに存在しなくなったボリュームのマウント ポイント\r\n" +
		"                ディレクトリとレジストリ設定を削除します。\r\n" +
		"    /N          新しいボリュームの自動マウントを無効にします。\r\n" +
		"    /E          新しいボリュームの自動マウントを再度有効にします。\r\n" +
		"    /S          EFI システム パーティションを指定したドライブにマウントします。\r\n"
	t.mountvolHeader = "VolumeName として指定可能な値と、現在のマウント ポイント:"
	t.noMountPoints = "*** マウント ポイントなし ***"
	t.dirNotEmpty = "ディレクトリが空ではありません。"
	t.paramIncorrect = "パラメーターが間違っています。"
	t.fileNotFound = "指定されたファイルが見つかりません。"
	t.badSyntax = "ファイル名、ディレクトリ名、またはボリューム ラベルの構文が間違っています。"
	t.accessDenied = "アクセスが拒否されました。"

	t.netStopping = "%s サービスを停止中です."
	t.netStopped = "%s サービスは正常に停止されました。"
	t.netStarting = "%s サービスを開始します."
	t.netStarted = "%s サービスは正常に開始されました。"
	t.netAlreadyStarted = "要求したサービスは既に開始されています。"
	t.netNotStarted = "%s サービスは開始されていません。"
	t.netBadName = "サービス名が無効です。"
	t.netHelp = "NET HELPMSG %d と入力すると、より詳しい説明が得られます。"
	t.netDependents = "次のサービスは %s サービスに依存しています。\r\n%s サービスを停止すると、これらのサービスも停止します。"
	t.netContinue = "この操作を続行しますか? (Y/N) [N]: "
	t.netNoResponse = "有効な応答がありませんでした。"
	t.netCannotStop = "要求された一時停止、続行、または停止はこのサービスでは無効です。"
	t.netStartedList = "次の Windows サービスは開始されています:"
	t.netDone = "コマンドは正常に終了しました。"
	t.scNoService = "指定されたサービスはインストールされたサービスとして存在しません。"

	t.NotRecognized = "用語 '%s' は、コマンドレット、関数、スクリプト ファイル、または操作可能なプログラムの名前として認識されません。名前が正しく記述されていることを確認し、パスが含まれている場合はそのパスが正しいことを確認してから、再試行してください。"
	t.AtLine = "発生場所 行:%d 文字:%d"
	t.psServiceNotFound = "サービス名 '%s' のサービスが見つかりません。"
	t.psAccessDenied = "パス '%s' へのアクセスが拒否されました。"
	t.psPathNotFound = "パス '%s' が存在しないため検出できません。"
	t.psNoEvents = "指定された選択条件に一致するイベントが見つかりませんでした。"
	t.psDependents = "サービス '%s (%s)' には依存するサービスがあるため、停止できません。Force フラグが設定されている場合にのみ停止できます。"
	t.ParamNotFound = "パラメーター名 '%s' に一致するパラメーターが見つかりません。"
	t.Positional = "引数 '%s' を受け入れる位置指定パラメーターが見つかりません。"
	t.psNameResolution = "%s の名前解決に失敗しました"
	t.MethodNotFound = "[%s] に '%s' という名前のメソッドが含まれていないため、メソッドの呼び出しに失敗しました。"
	t.Unsupported = "wsbbot ラボはこの PowerShell 構文を再現しません: %s (再現する範囲は lab/ps を参照)。"
	t.psNetworkPath = "ネットワーク パスが見つかりません。"
	t.psNoProperty = "このオブジェクトにプロパティ '%s' が見つかりません。プロパティが存在することを確認してください。"
	t.CannotConvert = "値 \"%s\" を型 \"%s\" に変換できません。"
	t.psNoVolume = "プロパティ 'DriveLetter' が '%s' に等しい MSFT_Volume オブジェクトが見つかりません。プロパティの値を確認して、再試行してください。"
	t.psNoPartition = "プロパティ '%s' が '%s' に等しい MSFT_Partition オブジェクトが見つかりません。プロパティの値を確認して、再試行してください。"
	t.psNoDisk = "プロパティ 'Number' が '%s' に等しい MSFT_Disk オブジェクトが見つかりません。プロパティの値を確認して、再試行してください。"
	t.psNoCim = "無効なクラスです"
	t.psServiceCannotStart = "次のエラーのため、サービス '%s (%s)' を開始できません: コンピューター '.' でサービス %s を開始できません。"
	t.psJobRunning = "別のバックアップ操作または回復操作が既に実行中のため、バックアップを開始できません。"
	t.psInvalidClass = "無効なクラスです "
	t.psServiceCannotStop = "次のエラーのため、サービス '%s (%s)' を停止できません: コンピューター '.' で %s サービスを停止できません。"
	t.psDriveNotFound = "ドライブが見つかりません。名前 '%s' のドライブは存在しません。"
	t.psModuleNotFound = "有効なモジュール ファイルがどのモジュール ディレクトリにも見つからなかったため、指定されたモジュール '%s' は読み込まれませんでした。"
	t.psNoLog = "ローカルホスト コンピューターに \"%s\" と一致するイベント ログがありません。"
	t.psWBNoPolicy = "このコンピューターにはバックアップ ポリシーが構成されていません。"
	t.psTestConnectionFailed = "(%s : %d) への TCP 接続に失敗しました"
	t.psTestConnectionWarning = "%s への ping に失敗しました。状態: TimedOut"

	t.evStarted = "バックアップ操作が開始されました。"
	t.evSucceeded = "バックアップ操作が正常に完了しました。"
	t.evFailed = "'%s' に開始されたバックアップ操作は、次のエラー コードで失敗しました: '%s' (%s)。解決方法についてはイベントの詳細を確認し、問題が解決した後でバックアップ操作を再実行してください。"
	t.evCompleted = "バックアップ操作が完了しました。"
	t.evRestore = "'%s' に開始されたファイルの回復操作は正常に完了しました。"
	t.hrText = map[uint32]string{
		0x800423F4: "ライターで一時的でないエラーが発生しました。バックアップ処理を再試行しても、エラーが再発する可能性があります。",
		0x800423F3: "ライターで一時的なエラーが発生しました。バックアップ処理を再試行すると、エラーが再発しない可能性があります。",
		0x8004231F: "シャドウ コピーの記憶域ファイルまたはその他のシャドウ コピー データを作成するために利用できる十分な記憶域がありません。",
		0x80070005: "アクセスが拒否されました。",
		0x800701B1: "存在しないデバイスが指定されました。",
		0x80780119: "ディスク領域が不足しているため、保存場所にボリュームのシャドウ コピーを作成できません。",
		0x807800A1: "バックアップ内のボリュームのシャドウ コピーの作成に失敗しました。",
		0x807800C5: "バックアップ セット内のボリュームの 1 つについて、バックアップ イメージの準備に失敗しました。",
		0x80780166: "バックアップの保存場所が見つかりませんでした。", // the lab's own wording (see enTexts)
		0x807800C1: "バックアップは取り消されました。",
	}

	t.ShortDateTime = "2006/01/02 15:04:05"
	t.ShortDate = "2006/01/02"
	t.DateTimeNoSec = "2006/01/02 15:04"
	t.LongDate = "2006年1月2日 15:04:05"
	return t
}

// stateWord is the localized word vssadmin prints after "[n]".
func (t *texts) stateWord(n int) string {
	if w, ok := t.stateWords[n]; ok {
		return w
	}
	if n >= 6 && n <= 15 {
		return t.failedWord
	}
	return t.stateWords[0]
}

// hrMessage is the text Windows shows for an HRESULT, or "" when the lab
// has none.
func (t *texts) hrMessage(hr uint32) string { return t.hrText[hr] }

// recoverList joins the "Can recover" items.
func (t *texts) recoverList(bmr, systemState bool) string {
	items := []string{t.recVolumes, t.recFiles, t.recApps}
	if bmr {
		items = append(items, t.recBMR)
	}
	if systemState {
		items = append(items, t.recSystem)
	}
	return strings.Join(items, ", ")
}
